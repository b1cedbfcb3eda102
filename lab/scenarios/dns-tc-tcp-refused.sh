# order: 23
SC_TITLE="activate.cisco.com has 120 A records: the UDP answer is truncated (TC), dig retries over TCP 53, which a firewall resets"
SC_PEERS="dnsmasq host-record x120, nftables tcp dport 53 reject with tcp reset, dig"
SC_NO_ACT_RECORD=1
sc_dnsmasq() { for i in $(seq 1 120); do echo "host-record=activate.cisco.com,198.51.100.$((i+100))"; done; }
sc_net() { nft_rule "tcp dport 53 reject with tcp reset"; }
sc_expect() {
    expect_phone 1 fail dns-activation "pass pass not_seen fail not_seen not_seen not_seen not_seen not_seen not_seen not_seen not_seen"
}
sc_verify() {
    check 'dns.flags.truncated == 1' -ge 1
    check 'tcp.dstport == 53 && tcp.flags.syn == 1' -ge 1
}
