# order: 12
SC_TITLE="TLS 1.3 to sbc1:8934: the server's certificate (encrypted) is issued by 'PSL Lab TLS"
SC_TITLE+=" Inspection CA'; the phone's TLS stack (GnuTLS) refuses it with an encrypted alert in"
SC_TITLE+=" place of its Finished, and stops"
SC_PEERS="openssl s_server -tls1_3 with a certificate from a second lab CA; gnutls-cli (CA file:"
SC_PEERS+=" lab root only); dnsmasq, dig, curl as in healthy"
sc_sbc() {
    https_server sbc1 "$IP_SBC1:$SBC_PORT" sbc1-inspected -rev -tls1_3
    https_server sbc2 "$IP_SBC2:$SBC_PORT" sbc2-inspected -rev -tls1_3
}
sc_run() { run_phone 1 PH_NTP_FIRST=1 PH_TLS_CLIENT=gnutls; }
sc_expect() {
    expect_phone 1 fail sbc-tls \
        "pass pass not_seen pass pass pass pass pass pass fail not_seen pass"
}
sc_verify() {
    check 'ip.src == 192.0.2.101 && tcp.dstport == 8934 && tls.record.length == 19' -eq 1
}
