# order: 01
# The SBC asks for a client certificate (TLS 1.2 CertificateRequest); the phone has
# none and sends an empty Certificate; the server aborts with a fatal alert in clear.
SC_TITLE="TLS 1.2 to sbc1/sbc2:8934: ServerHello, Certificate, CertificateRequest; the phone sends"
SC_TITLE+=" an empty Certificate, the server answers with a fatal alert; the phone stops"
SC_PEERS="openssl s_server -tls1_2 -Verify 1; openssl s_client without a certificate; the rest as"
SC_PEERS+=" in healthy"
sc_sbc() {
    https_server sbc1 "$IP_SBC1:$SBC_PORT" sbc1.example.com -rev -tls1_2 -Verify 1
    https_server sbc2 "$IP_SBC2:$SBC_PORT" sbc2.example.com -rev -tls1_2 -Verify 1
}
sc_run() { run_phone 1 PH_NTP_FIRST=1; }
sc_expect() {
    expect_phone 1 fail sbc-tls \
        "pass pass not_seen pass pass pass pass pass pass fail not_seen pass"
}
