# order: 18
SC_TITLE="The scope hands out no DNS server (option 6 empty, so absent from the ACK); the phone"
SC_TITLE+=" cannot resolve activate.cisco.com and sends no DNS query at all; the capture runs 15 s"
SC_TITLE+=" more"
SC_PEERS="dnsmasq 2.90 (dhcp-option=option:dns-server with no value), busybox udhcpc"
sc_net() {
    stop_bg dnsmasq
    sed 's/^dhcp-option=option:dns-server,.*/dhcp-option=option:dns-server/' \
        "$WORK/dnsmasq.conf" >"$WORK/dnsmasq2.conf"
    bg_in $NS_NET dnsmasq2 dnsmasq -k -C "$WORK/dnsmasq2.conf"
    sleep 1
}
sc_run() { run_phone 1; sleep 15; }
sc_expect() {
    expect_phone 1 fail dhcp \
        "fail pass not_seen not_seen not_seen not_seen
            not_seen not_seen not_seen not_seen not_seen not_seen"
}
