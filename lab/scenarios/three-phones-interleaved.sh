# order: 16
SC_FORMAT=pcapng
SC_PHONES=3
SC_TITLE="Three phones behind one switch, starting 1.5 s apart and overlapping: :01 healthy; :02"
SC_TITLE+=" its SYNs to 8934 are dropped (per-source firewall rule) for both SBCs; :03 gets option"
SC_TITLE+=" 160 -> 404, falls back to activation and passes"
SC_PEERS="dnsmasq per-host tags, busybox httpd (404), nftables drop by source, the rest as in"
SC_PEERS+=" healthy"
sc_dnsmasq() { echo "dhcp-option=tag:ph3,160,http://$IP_CFG/CP-8851-3PCC.xml"; }
sc_net() { start_httpd other.xml; nft_rule "ip saddr 192.0.2.102 tcp dport $SBC_PORT drop"; }
sc_run() {
    local p1 p2 p3
    run_phone 1 & p1=$!
    sleep 1.5
    run_phone 2 & p2=$!
    sleep 1.5
    run_phone 3 & p3=$!
    wait $p1 $p2 $p3
}
sc_expect() {
    expect_phone 1 pass null "pass pass not_seen pass pass pass pass pass pass pass pass pass"
    expect_phone 2 fail sbc-connect \
        "pass pass not_seen pass pass pass pass pass fail not_seen not_seen not_seen"
    expect_phone 3 warn dhcp-options "pass fail fail pass pass pass pass pass pass pass pass pass"
}
