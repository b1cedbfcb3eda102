# order: 45
# srv-first-dropped with an ICMP reject instead of a silent drop: the phone
# moves to sbc2 at once and registers there (recovered).
SC_TITLE="SYN to sbc1:8934 gets ICMP administratively prohibited; sbc2 (priority 20) answers: TLS,"
SC_TITLE+=" NTP and REGISTER pass"
SC_PEERS="nftables 'reject with icmp type admin-prohibited' for sbc1 only; the rest as in healthy"
sc_net() {
    nft_rule "ip daddr $IP_SBC1 tcp dport $SBC_PORT reject with icmp type admin-prohibited"
}
sc_expect() {
    expect_phone 1 warn sbc-connect \
        "pass pass not_seen pass pass pass pass pass warn pass pass pass"
}
sc_verify() {
    check 'icmp.type == 3 && icmp.code == 13' -ge 1
    check_registered
}
