# order: 17
SC_TITLE="The DHCP server answers DISCOVER with an OFFER but never answers the REQUEST (an nft"
SC_TITLE+=" rule drops DHCP REQUESTs at the server): DISCOVER/OFFER/REQUEST repeated, no ACK; the"
SC_TITLE+=" phone has no address"
SC_PEERS="dnsmasq 2.90, nftables payload match on option 53 = 3, busybox udhcpc"
sc_net() { nft_rule "udp dport 67 @th,1984,24 0x350103 drop"; }
sc_expect() {
    expect_phone 1 fail dhcp \
        "fail pass not_seen not_seen not_seen not_seen
            not_seen not_seen not_seen not_seen not_seen not_seen"
}
