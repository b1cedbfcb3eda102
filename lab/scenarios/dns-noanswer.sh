# order: 09
SC_TITLE="The DNS server never answers (an nft rule drops UDP 53 to 192.0.2.1): three A queries"
SC_TITLE+=" for activate.cisco.com two seconds apart, then three AAAA, no response; the phone"
SC_TITLE+=" stops"
SC_PEERS="dnsmasq 2.90 (DHCP; its DNS behind an nftables drop rule), busybox udhcpc, dig"
sc_net() { nft_rule "ip daddr $IP_GW udp dport 53 drop"; }
sc_run() { run_phone 1 PH_DIG_TRIES=3; }
sc_expect() {
    expect_phone 1 fail dns-activation \
        "pass pass not_seen fail not_seen not_seen
            not_seen not_seen not_seen not_seen not_seen not_seen"
}
sc_verify() {
    check 'dns.flags.response == 0' -eq 6
    check 'dns.flags.response == 1' -eq 0
}
