# order: 23
SC_TITLE="The SRV answer is too big for UDP (TC); dig retries over TCP 53, which a firewall resets; the phone finds no SBC"
SC_PEERS="dnsmasq 62 srv-host lines, nftables tcp dport 53 reject with tcp reset, dig"
sc_dnsmasq() {
    local i
    for i in $(seq 10 69); do
        echo "srv-host=_sips._tcp.sbc.example.com,sbc-spare-$i.example.com,$SBC_PORT,50,10"
        echo "host-record=sbc-spare-$i.example.com,198.51.100.$((100 + i))"
    done
}
sc_net() { nft_rule "tcp dport 53 reject with tcp reset"; }
sc_expect() {
    expect_phone 1 fail dns-srv "pass pass not_seen pass pass pass pass fail not_seen not_seen not_seen not_seen"
}
sc_verify() {
    check 'dns.flags.truncated == 1' -ge 1
    check 'tcp.dstport == 53 && tcp.flags.syn == 1' -ge 1
}
