# order: 47
# sbc1 speaks TLS 1.2 and is set up for another server name: it answers the
# phone's SNI with a warning-level unrecognized_name alert and carries on.
SC_TITLE="sbc1 (TLS 1.2) knows only another server name: warning alert unrecognized_name(112) in"
SC_TITLE+=" clear, then the handshake completes; NTP and REGISTER pass"
SC_PEERS="openssl s_server -tls1_2 -servername sbc-other.example.com (-cert2 for sbc1); the rest"
SC_PEERS+=" as in healthy"
sc_sbc() {
    https_server sbc1 "$IP_SBC1:$SBC_PORT" sbc1.example.com -rev -tls1_2 \
        -servername sbc-other.example.com \
        -cert2 "$WORK/pki/sbc1.example.com.crt" -key2 "$WORK/pki/sbc1.example.com.key"
    https_server sbc2 "$IP_SBC2:$SBC_PORT" sbc2.example.com -rev
}
sc_expect() {
    expect_phone 1 warn sbc-tls "pass pass not_seen pass pass pass pass pass pass warn pass pass"
}
sc_verify() {
    check 'tls.alert_message.level == 1 && tls.alert_message.desc == 112' -eq 1
    check_registered
}
