# order: 19
SC_TITLE="Healthy boot and registration; then the DHCP server stops answering (nft drop of UDP 67)"
SC_TITLE+=" and the phone's mid-capture renewal REQUEST (unicast, ciaddr set) gets no ACK; the"
SC_TITLE+=" lease is still valid for an hour"
SC_PEERS="busybox udhcpc kept running and sent SIGUSR1; nftables drop added after registration;"
SC_PEERS+=" the rest as in healthy"
sc_run() {
    run_phone 1 PH_DHCP_BG=1 &
    local p=$!
    wait_for 90 test -e "$WORK/ph1/register.ok"
    nft_rule "udp dport 67 drop"
    wait $p
}
sc_expect() {
    expect_phone 1 pass null "pass pass not_seen pass pass pass pass pass pass pass pass pass"
}
