# order: 67
SC_TITLE="No NTP server at 203.0.113.123: every NTP request gets ICMP port unreachable; then TLS"
SC_TITLE+=" 1.2 to sbc1:8934 shows an expired lab-root-signed certificate and the phone sends"
SC_TITLE+=" certificate_expired"
SC_PEERS="chronyd -Q against a closed port (the gateway's kernel answers ICMP), openssl s_server"
SC_PEERS+=" -tls1_2 with an expired certificate, openssl s_client -verify_return_error; the rest"
SC_PEERS+=" as in healthy"
sc_sbc() {
    https_server sbc1 "$IP_SBC1:$SBC_PORT" sbc1-expired -rev -tls1_2
    https_server sbc2 "$IP_SBC2:$SBC_PORT" sbc2-expired -rev -tls1_2
}
sc_run() { stop_bg chronyd; run_phone 1 PH_NTP_FIRST=1; }
sc_expect() {
    expect_phone 1 fail sbc-tls \
        "pass pass not_seen pass pass pass pass pass pass fail not_seen fail"
}
sc_verify() {
    check 'icmp.type == 3 && icmp.code == 3 && udp.dstport == 123' -ge 1
    check 'ip.src == 192.0.2.101 && tls.alert_message.desc == 45' -eq 1
}
