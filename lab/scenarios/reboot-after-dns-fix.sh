# order: 41
# Two boots in one capture: the first fails at DNS, the admin fixes the record,
# the second boot passes. The verdict must read the capture as a whole.
SC_TITLE="Two boot cycles: first boot gets NXDOMAIN for activate.cisco.com (A and AAAA) and stops;"
SC_TITLE+=" the admin fixes DNS (dnsmasq restarted without the block) and the phone reboots (new"
SC_TITLE+=" DHCP DORA) and passes every stage"
SC_PEERS="dnsmasq 2.90 (address=/activate.cisco.com/ then restarted without it), busybox udhcpc"
SC_PEERS+=" twice; the rest as in healthy"
SC_NO_ACT_RECORD=1
sc_dnsmasq() { echo "address=/activate.cisco.com/"; }
sc_run() {
    run_phone 1
    mv "$WORK/log/phone1.log" "$WORK/log/phone1-boot1.log"
    # The fix: the same configuration without the block, with the record back.
    stop_bg dnsmasq
    grep -v "^address=/activate" "$WORK/dnsmasq.conf" | sed "s/^# no record: //" \
        >"$WORK/dnsmasq2.conf"
    bg_in $NS_NET dnsmasq2 dnsmasq -k -C "$WORK/dnsmasq2.conf"
    wait_for 10 listening $NS_NET udp $IP_GW 53 || die "dnsmasq did not restart"
    # The reboot: the phone forgets its address.
    nsx psl-ph1 ip -4 addr flush dev eth0
    sleep 2
    run_phone 1
}
sc_expect() {
    expect_phone 1 warn dns-activation \
        "pass pass not_seen warn pass pass pass pass pass pass pass pass"
}
sc_verify() {
    check 'dns.flags.rcode == 3' -eq 2
    check 'dhcp.option.dhcp == 5' -eq 2
    check_registered
}
