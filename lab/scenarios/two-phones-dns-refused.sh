# order: 51
# Phone 1 is healthy. Phone 2's host tag gives it option 6 = 192.0.2.53, a
# dnsmasq with no data and no upstream: REFUSED for every query.
SC_PHONES=2
SC_TITLE="Two phones: :01 passes; :02 gets DNS server 192.0.2.53 from its host tag, which answers"
SC_TITLE+=" REFUSED to A and AAAA activate.cisco.com"
SC_PEERS="dnsmasq 2.90 (per-host dns-server), a second dnsmasq without data or upstream (REFUSED);"
SC_PEERS+=" the rest as in healthy"
sc_dnsmasq() { echo "dhcp-option=tag:ph2,option:dns-server,$IP_RESOLVER"; }
sc_net() {
    printf '%s\n' no-resolv no-hosts bind-interfaces "listen-address=$IP_RESOLVER" user=root \
        log-facility=- log-queries port=53 >"$WORK/dnsmasq-refuse.conf"
    bg_in $NS_NET dnsmasq-refuse dnsmasq -k -C "$WORK/dnsmasq-refuse.conf"
}
sc_run() {
    local p1
    run_phone 1 & p1=$!
    sleep 0.5
    run_phone 2
    wait $p1
}
sc_expect() {
    expect_phone 1 pass null "pass pass not_seen pass pass pass pass pass pass pass pass pass"
    expect_phone 2 fail dns-activation \
        "pass pass not_seen fail not_seen not_seen
            not_seen not_seen not_seen not_seen not_seen not_seen"
}
sc_verify() { check 'ip.dst == 192.0.2.102 && dns.flags.rcode == 5' -ge 2; }
