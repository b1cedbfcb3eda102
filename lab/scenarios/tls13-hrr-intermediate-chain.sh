# order: 48
# Provisioning over TLS 1.2 with a leaf from the issuing CA (the chain goes in
# clear); sbc1 over TLS 1.3 accepts only P-384, so the phone's X25519 share
# gets a HelloRetryRequest before the handshake completes.
SC_TITLE="Provisioning TLS 1.2 with leaf + intermediate CA in the Certificate message; sbc1 TLS"
SC_TITLE+=" 1.3 with P-384 only: HelloRetryRequest, second ClientHello, handshake completes;"
SC_TITLE+=" everything passes"
SC_PEERS="openssl s_server -tls1_2 -cert_chain (provisioning), openssl s_server -tls1_3 -groups"
SC_PEERS+=" P-384 -cert_chain (sbc1); the rest as in healthy"
sc_net() {
    stop_bg s_server-prov4
    https_server prov4c "$IP_PROV:443" prov-chained -WWW -tls1_2 \
        -cert_chain "$WORK/pki/inter-ca.crt"
}
sc_sbc() {
    https_server sbc1 "$IP_SBC1:$SBC_PORT" sbc1-chained -rev -tls1_3 -groups P-384 \
        -cert_chain "$WORK/pki/inter-ca.crt"
    https_server sbc2 "$IP_SBC2:$SBC_PORT" sbc2.example.com -rev
}
sc_expect() {
    expect_phone 1 pass null "pass pass not_seen pass pass pass pass pass pass pass pass pass"
}
sc_verify() {
    check 'tls.handshake.type == 1 && tcp.dstport == 8934' -eq 2
    check_registered
}
