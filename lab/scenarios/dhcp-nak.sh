# order: 24
# INIT-REBOOT: the phone asks for the address it remembers from another subnet's
# lease; the authoritative server NAKs it and the phone starts over with DISCOVER.
# dhclient plays the rebooting phone (busybox udhcpc has no INIT-REBOOT), then
# the usual phone.sh boot follows.
SC_TITLE="The phone reboots remembering 192.0.2.150 (INIT-REBOOT REQUEST); dnsmasq (authoritative)"
SC_TITLE+=" answers NAK; the phone DISCOVERs again, gets 192.0.2.101 and passes every stage"
SC_PEERS="isc dhclient (lease file with the old address, script /bin/true), dnsmasq 2.90, then"
SC_PEERS+=" busybox udhcpc and the rest as in healthy"
sc_run() {
    local st=$WORK/ph1 hex
    hex=$(phone_mac 1 | tr -d : | tr a-f A-F)
    mkdir -p "$st"
    cat >"$st/dhclient.leases" <<EOL
lease {
  interface "eth0";
  fixed-address 192.0.2.150;
  option subnet-mask 255.255.255.0;
  option dhcp-server-identifier $IP_GW;
  renew 4 2037/01/01 00:00:00;
  rebind 4 2037/01/01 00:00:00;
  expire 4 2037/01/01 00:00:00;
}
EOL
    printf 'send host-name "SEP%s";\nsend vendor-class-identifier "%s";\n' "$hex" \
        "Cisco Systems, Inc. IP Phone CP-8851-3PCC" >"$st/dhclient.conf"
    nsx psl-ph1 ip link set eth0 up
    sleep 0.5
    # -1: one try; the NAK ends it, the timeout ends the DISCOVER it starts next.
    nsx psl-ph1 timeout 8 dhclient -d -1 -sf /bin/true -cf "$st/dhclient.conf" \
        -lf "$st/dhclient.leases" -pf "$st/dhclient.pid" eth0 >"$WORK/log/dhclient.log" 2>&1
    run_phone 1
}
sc_expect() {
    expect_phone 1 warn dhcp \
        "warn pass not_seen pass pass pass pass pass pass pass pass pass"
}
sc_verify() {
    check 'dhcp.option.dhcp == 6' -eq 1
    check 'dhcp.option.dhcp == 5' -ge 2
    check_registered
}
