# order: 54
# Both SBCs speak TLS 1.3 with P-384 only (HelloRetryRequest) and present
# certificates from the inspection CA: after the second ClientHello the phone
# rejects the certificate with unknown_ca.
SC_TITLE="TLS 1.3 to sbc1 with a HelloRetryRequest (P-384 only), certificate from an untrusted"
SC_TITLE+=" inspection CA: the phone sends unknown_ca(48) and stops"
SC_PEERS="openssl s_server -tls1_3 -groups P-384 with inspection-CA certificates, openssl s_client"
SC_PEERS+=" -verify_return_error; the rest as in healthy"
sc_sbc() {
    https_server sbc1 "$IP_SBC1:$SBC_PORT" sbc1-inspected -rev -tls1_3 -groups P-384
    https_server sbc2 "$IP_SBC2:$SBC_PORT" sbc2-inspected -rev -tls1_3 -groups P-384
}
sc_expect() {
    expect_phone 1 fail sbc-tls \
        "pass pass not_seen pass pass pass pass pass pass fail not_seen not_seen"
}
sc_verify() {
    check 'tls.handshake.type == 1 && tcp.dstport == 8934' -eq 2
    check 'sip' -eq 0
}
