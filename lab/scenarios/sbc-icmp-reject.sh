# order: 33
# A firewall answers the SBC SYNs with ICMP instead of dropping them or
# sending RST: two different ICMP codes, one per target.
SC_TITLE="A firewall rejects 8934 with ICMP: SYN to sbc1 gets destination unreachable /"
SC_TITLE+=" administratively prohibited, SYN to sbc2 gets port unreachable; the phone gives up"
SC_PEERS="nftables 'reject with icmp type admin-prohibited' / 'port-unreachable' in the gateway"
SC_PEERS+=" namespace, openssl s_client; the rest as in healthy"
sc_net() {
    nft_rule "ip daddr $IP_SBC1 tcp dport $SBC_PORT reject with icmp type admin-prohibited"
    nft_rule "ip daddr $IP_SBC2 tcp dport $SBC_PORT reject with icmp type port-unreachable"
}
sc_expect() {
    expect_phone 1 fail sbc-connect \
        "pass pass not_seen pass pass pass pass pass fail not_seen not_seen not_seen"
}
sc_verify() {
    check 'icmp.type == 3 && icmp.code == 13' -ge 1
    check 'icmp.type == 3 && icmp.code == 3' -ge 1
    check 'tcp.srcport == 8934' -eq 0
}
