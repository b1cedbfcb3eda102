# order: 12
SC_TITLE="TLS 1.2 to sbc1:8934: the server's certificate (in clear) is issued by 'PSL Lab TLS"
SC_TITLE+=" Inspection CA', which the phone does not trust; the phone sends a fatal unknown_ca"
SC_TITLE+=" alert and stops"
SC_PEERS="openssl s_server -tls1_2 with a certificate from a second lab CA, openssl s_client"
SC_PEERS+=" -verify_return_error (CAfile: lab root only); dnsmasq, dig, curl as in healthy"
sc_sbc() {
    https_server sbc1 "$IP_SBC1:$SBC_PORT" sbc1-inspected -rev -tls1_2
    https_server sbc2 "$IP_SBC2:$SBC_PORT" sbc2-inspected -rev -tls1_2
}
sc_expect() {
    expect_phone 1 fail sbc-tls \
        "pass pass not_seen pass pass pass pass pass pass fail not_seen not_seen"
}
sc_verify() {
    check 'tls.handshake.certificate' -eq 1
    check 'ip.src == 192.0.2.101 && tls.alert_message.desc == 48' -eq 1
}
