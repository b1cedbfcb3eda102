# order: 22
SC_TITLE="The phone first gets a lease untagged on the data VLAN, whose scope carries option 150 ="
SC_TITLE+=" 192.0.2.10 (for older CUCM phones); before using it, CDP/LLDP moves it to voice VLAN"
SC_TITLE+=" 100, where it gets a clean lease and every stage passes"
SC_PEERS="dnsmasq (dhcp-vendorclass tag for the data-VLAN request), busybox udhcpc untagged, then"
SC_PEERS+=" lab/vlan.c tagging frames to and from :01; the rest as in healthy"
sc_dnsmasq() {
    echo "dhcp-vendorclass=set:datavlan,data-vlan"
    echo "dhcp-option=tag:datavlan,150,$IP_CFG"
}
sc_run() {
    nsx psl-ph1 ip link set eth0 up
    sleep 0.5
    nsx psl-ph1 busybox udhcpc -i eth0 -f -q -n -t 4 -T 2 -s /bin/true \
        -x hostname:SEP00005E005301 -V "Cisco Systems, Inc. IP Phone CP-8851-3PCC data-vlan" \
        -O 66 -O 150 >"$WORK/log/native.log" 2>&1
    sleep 1
    vlan_attach $NS_NET tc_push_ph1
    vlan_attach psl-ph1
    run_phone 1
}
sc_expect() {
    expect_phone 1 warn dhcp-options \
        "pass warn not_seen pass pass pass pass pass pass pass pass pass"
}
