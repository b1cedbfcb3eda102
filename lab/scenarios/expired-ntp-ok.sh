# order: 71
SC_TITLE="NTP first and answered (the clock is right); then TLS 1.2 to sbc1:8934 shows an expired"
SC_TITLE+=" lab-root-signed certificate (notAfter 2025-01-01) and the phone sends"
SC_TITLE+=" certificate_expired"
SC_PEERS="chronyd -Q against chronyd, openssl s_server -tls1_2 with an expired certificate"
SC_PEERS+=" (openssl ca -enddate), openssl s_client -verify_return_error; the rest as in healthy"
sc_sbc() {
    https_server sbc1 "$IP_SBC1:$SBC_PORT" sbc1-expired -rev -tls1_2
    https_server sbc2 "$IP_SBC2:$SBC_PORT" sbc2-expired -rev -tls1_2
}
sc_run() { run_phone 1 PH_NTP_FIRST=1; }
sc_expect() {
    expect_phone 1 fail sbc-tls \
        "pass pass not_seen pass pass pass pass pass pass fail not_seen pass"
}
sc_verify() {
    check 'ntp.flags.mode == 4' -ge 1
    check 'ip.src == 192.0.2.101 && tls.alert_message.desc == 45' -eq 1
}
