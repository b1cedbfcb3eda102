# order: 14
SC_TITLE="The SBC accepts TLS 1.3 only and the phone offers at most TLS 1.2: the server answers"
SC_TITLE+=" the ClientHello with a fatal protocol_version alert; the phone stops"
SC_PEERS="openssl s_server -tls1_3, openssl s_client -tls1_2; dnsmasq, dig, curl as in healthy"
sc_sbc() {
    https_server sbc1 "$IP_SBC1:$SBC_PORT" sbc1.example.com -rev -tls1_3
    https_server sbc2 "$IP_SBC2:$SBC_PORT" sbc2.example.com -rev -tls1_3
}
sc_run() { run_phone 1 PH_TLS_OPTS=-tls1_2; }
sc_expect() {
    expect_phone 1 fail sbc-tls \
        "pass pass not_seen pass pass pass pass pass pass fail not_seen not_seen"
}
sc_verify() {
    check 'ip.src == 198.51.100.20 && tls.alert_message.desc == 70' -eq 1
}
