# order: 30
# An expired SBC certificate under TLS 1.3: the certificate is encrypted, the
# phone's certificate_expired alert is not.
SC_TITLE="TLS 1.3 to sbc1:8934 with an expired (lab-root-signed) certificate: the phone's"
SC_TITLE+=" certificate_expired alert goes out in plaintext; no NTP was attempted before; the"
SC_TITLE+=" phone stops"
SC_PEERS="openssl s_server -tls1_3 with an expired certificate, openssl s_client"
SC_PEERS+=" -verify_return_error; the rest as in healthy"
sc_sbc() {
    https_server sbc1 "$IP_SBC1:$SBC_PORT" sbc1-expired -rev -tls1_3
    https_server sbc2 "$IP_SBC2:$SBC_PORT" sbc2-expired -rev -tls1_3
}
sc_expect() {
    expect_phone 1 fail sbc-tls \
        "pass pass not_seen pass pass pass pass pass pass fail not_seen not_seen"
}
sc_verify() {
    check 'ip.src == 192.0.2.101 && tls.alert_message.desc == 45' -eq 1
}
