# order: 03
# SRV and A fine, HTTPS fine, but SYNs to 8934 are dropped by a firewall.
SC_TITLE="SRV/A and both HTTPS stages fine; an nft rule drops every SYN to 8934: four SYNs (1 s, 2"
SC_TITLE+=" s, 4 s back-off) to sbc1, then four to sbc2, no SYN-ACK, the phone gives up"
SC_PEERS="dnsmasq 2.90, busybox udhcpc, dig, curl against openssl s_server, openssl s_client"
SC_PEERS+=" (kernel SYN retries), nftables drop rule in the gateway namespace"
sc_net() { nft_rule "tcp dport $SBC_PORT drop"; }
sc_expect() {
    expect_phone 1 fail sbc-connect \
        "pass pass not_seen pass pass pass pass pass fail not_seen not_seen not_seen"
}
sc_verify() {
    check 'tcp.dstport == 8934 && tcp.flags.syn == 1' -eq 8
    check 'tcp.srcport == 8934' -eq 0
    check 'tls.handshake.type == 2' -eq 2
}
