# order: 13
SC_TITLE="TLS 1.3 to sbc1:8934: the certificate is encrypted but the phone's unknown_ca alert goes"
SC_TITLE+=" out in plaintext before its keys change; the phone stops"
SC_PEERS="openssl s_server -tls1_3 with a certificate from a second lab CA, openssl s_client"
SC_PEERS+=" -verify_return_error; dnsmasq, dig, curl as in healthy"
sc_sbc() {
    https_server sbc1 "$IP_SBC1:$SBC_PORT" sbc1-inspected -rev -tls1_3
    https_server sbc2 "$IP_SBC2:$SBC_PORT" sbc2-inspected -rev -tls1_3
}
sc_expect() {
    expect_phone 1 fail sbc-tls \
        "pass pass not_seen pass pass pass pass pass pass fail not_seen not_seen"
}
sc_verify() {
    check 'tls.handshake.certificate' -eq 0
    check 'ip.src == 192.0.2.101 && tls.alert_message.desc == 48' -eq 1
}
