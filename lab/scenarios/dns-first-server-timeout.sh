# order: 06
SC_TITLE="Option 6 = 192.0.2.53, 192.0.2.1: the first server never answers (nft drop), each query"
SC_TITLE+=" is tried twice then asked of the second, which answers; the boot passes"
SC_PEERS="nftables drop of UDP 53 to 192.0.2.53, dnsmasq on 192.0.2.1, dig with failover; the rest"
SC_PEERS+=" as in healthy"
DHCP_DNS="$IP_RESOLVER,$IP_GW"
sc_net() { nft_rule "ip daddr $IP_RESOLVER udp dport 53 drop"; }
sc_run() { run_phone 1 PH_DNS_FAILOVER_ALL=1; }
sc_expect() {
    expect_phone 1 warn dns-activation \
        "pass pass not_seen warn pass warn pass warn pass pass pass pass"
}
