# order: 40
# The DHCP server is off the LAN: the gateway relays (giaddr), so OFFER/ACK come
# from the relay's address but name the real server in option 54.
SC_TITLE="DHCP through a relay: 192.0.2.1 relays (giaddr 192.0.2.1) to a DHCP server at"
SC_TITLE+=" 203.0.113.66 off the LAN; the phone sees OFFER/ACK from the relay with server id"
SC_TITLE+=" 203.0.113.66; every stage passes"
SC_PEERS="dnsmasq 2.90 as DNS + dhcp-relay on the gateway, a second dnsmasq 2.90 as the DHCP"
SC_PEERS+=" server in its own namespace (psl-dhcp), busybox udhcpc; the rest as in healthy"
sc_net() {
    # Replace the gateway's DHCP+DNS dnsmasq by a DNS-only one that relays.
    stop_bg dnsmasq
    ns_new psl-dhcp 0
    ip link add vd0 netns $NS_NET type veth peer name eth0 netns psl-dhcp
    nsx $NS_NET ip addr add 203.0.113.65/30 dev vd0
    nsx $NS_NET ip link set vd0 up
    nsx psl-dhcp ip addr add 203.0.113.66/30 dev eth0
    nsx psl-dhcp ip link set eth0 up
    nsx psl-dhcp ip route add default via 203.0.113.65
    { dnsmasq_conf | grep -vE '^(dhcp-|pid-file)'
        echo "pid-file=$WORK/dnsmasq-relay.pid"
        echo "dhcp-relay=$IP_GW,203.0.113.66"
    } >"$WORK/dnsmasq-relay.conf"
    bg_in $NS_NET dnsmasq-relay dnsmasq -k -C "$WORK/dnsmasq-relay.conf"
    # The DHCP server: the lab's scope, no DNS (port=0).
    { echo "port=0"
        echo "bind-interfaces"
        echo "interface=eth0"
        echo "user=root"
        echo "log-facility=-"
        echo "log-dhcp"
        echo "pid-file=$WORK/dnsmasq-srv.pid"
        echo "dhcp-leasefile=$WORK/dnsmasq-srv.leases"
        dnsmasq_conf | grep -E '^dhcp-(range|host|option|authoritative)'
        echo "domain=lab.example.com"
    } >"$WORK/dnsmasq-srv.conf"
    rm -f "$WORK/dnsmasq-srv.leases"
    bg_in psl-dhcp dnsmasq-srv dnsmasq -k -C "$WORK/dnsmasq-srv.conf"
    wait_for 10 listening $NS_NET udp $IP_GW 53 || die "the relaying dnsmasq did not start"
    sleep 1
}
sc_expect() {
    expect_phone 1 pass null \
        "pass pass not_seen pass pass pass pass pass pass pass pass pass"
}
sc_verify() {
    check 'dhcp.ip.relay == 192.0.2.1' -ge 2
    check_registered
}
