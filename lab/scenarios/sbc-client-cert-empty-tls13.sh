# order: 02
SC_TITLE="TLS 1.3 to sbc1:8934 with a CertificateRequest (encrypted); the phone sends an empty"
SC_TITLE+=" Certificate and its Finished, the server answers with an encrypted"
SC_TITLE+=" certificate_required alert and closes; the phone stops"
SC_PEERS="openssl s_server -tls1_3 -Verify 1; openssl s_client without a certificate"
sc_sbc() {
    https_server sbc1 "$IP_SBC1:$SBC_PORT" sbc1.example.com -rev -tls1_3 -Verify 1
    https_server sbc2 "$IP_SBC2:$SBC_PORT" sbc2.example.com -rev -tls1_3 -Verify 1
}
sc_run() { run_phone 1 PH_NTP_FIRST=1; }
sc_expect() {
    expect_phone 1 fail sbc-tls \
        "pass pass not_seen pass pass pass pass pass pass fail not_seen pass"
}
