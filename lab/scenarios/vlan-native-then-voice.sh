# order: 76
SC_TITLE="The phone first asks DHCP untagged (native VLAN), then moves to voice VLAN 100 and boots"
SC_TITLE+=" tagged; every stage of the tagged boot passes"
SC_PEERS="busybox udhcpc untagged, then as in vlan-voice with lab/vlan.c tagging only frames to"
SC_PEERS+=" and from :01 at the gateway"
sc_run() {
    nsx psl-ph1 ip link set eth0 up
    sleep 0.5
    nsx psl-ph1 busybox udhcpc -i eth0 -f -q -n -t 4 -T 2 -s /bin/true \
        -x hostname:SEP00005E005301 -V "Cisco Systems, Inc. IP Phone CP-8851-3PCC" \
        -O 66 -O 150 >"$WORK/log/native.log" 2>&1
    sleep 1
    vlan_attach $NS_NET tc_push_ph1
    vlan_attach psl-ph1
    run_phone 1
}
sc_expect() {
    expect_phone 1 pass null "pass pass not_seen pass pass pass pass pass pass pass pass pass"
}
sc_verify() {
    check '!vlan && dhcp' -ge 2
    check 'vlan.id == 100 && sip.Status-Code == 200' -eq 1
}
