# order: 74
SC_TITLE="NTP first and answered (the clock is right); then TLS 1.2 to sbc1:8934 shows a"
SC_TITLE+=" lab-root-signed certificate valid only from 2030-01-01 and the phone sends"
SC_TITLE+=" bad_certificate"
SC_PEERS="chronyd -Q against chronyd, openssl s_server -tls1_2 with a not-yet-valid certificate"
SC_PEERS+=" (openssl ca -startdate), openssl s_client -verify_return_error; the rest as in healthy"
sc_sbc() {
    https_server sbc1 "$IP_SBC1:$SBC_PORT" sbc1-notyetvalid -rev -tls1_2
    https_server sbc2 "$IP_SBC2:$SBC_PORT" sbc2-notyetvalid -rev -tls1_2
}
sc_run() { run_phone 1 PH_NTP_FIRST=1; }
sc_expect() {
    expect_phone 1 fail sbc-tls \
        "pass pass not_seen pass pass pass pass pass pass fail not_seen pass"
}
sc_verify() {
    check 'ntp.flags.mode == 4' -ge 1
    check 'ip.src == 192.0.2.101 && tls.alert_message.desc == 42' -eq 1
}
