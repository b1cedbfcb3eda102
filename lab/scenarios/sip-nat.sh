# order: 70
# sbc1's TLS port and registrar move to psl-wan behind a masquerading router
# (psl-net): the LAN capture shows the phone's own addresses, the router's WAN
# side is recorded as well, in the work directory only (sip-nat.wan.pcap).
SC_TITLE="sbc1 (TLS 8934 and the SIP registrar) sits behind a NAT router that masquerades the LAN"
SC_TITLE+=" to 203.0.113.201 without a SIP ALG; the phone registers through it and every stage"
SC_TITLE+=" passes"
SC_PEERS="as in healthy; nftables masquerade in psl-net towards a second namespace psl-wan holding"
SC_PEERS+=" openssl s_server and kamailio 5.6 for sbc1; tcpdump on the WAN side too"
sc_run() {
    local W=psl-wan
    stop_bg s_server-sbc1 kamailio
    ns_new $W 0
    ip link add wan0 netns $NS_NET type veth peer name eth0 netns $W
    nsx $NS_NET ip link set wan0 up
    nsx $NS_NET ip addr add 203.0.113.201/30 dev wan0
    nsx $W ip link set eth0 up
    nsx $W ip addr add 203.0.113.202/30 dev eth0
    nsx $W ip route add default via 203.0.113.201
    nsx $NS_NET ip addr del $IP_SBC1/32 dev lo
    nsx $NS_NET ip route add $IP_SBC1/32 via 203.0.113.202
    nsx $NS_NET sysctl -qw net.ipv4.ip_forward=1
    nsx $NS_NET nft add table ip psl_nat
    nsx $NS_NET nft add chain ip psl_nat post '{ type nat hook postrouting priority 100; }'
    nsx $NS_NET nft add rule ip psl_nat post oifname wan0 masquerade
    nsx $W ip addr add $IP_SBC1/32 dev lo
    nsx $W ip addr add $IP_SBC2/32 dev lo
    NS_NET=$W https_server sbc1-wan "$IP_SBC1:$SBC_PORT" sbc1.example.com -rev
    mkdir -p "$WORK/kamailio-wan"
    bg_in $W kamailio-wan kamailio -f "$LAB/conf/kamailio.cfg" -DD -E -m 32 -M 8 \
        -Y "$WORK/kamailio-wan" -P "$WORK/kamailio-wan/kamailio.pid"
    wait_for 10 listening $W udp $IP_SBC1 5060 || die "kamailio on the WAN side did not start"
    wait_for 10 listening $W tcp $IP_SBC1 $SBC_PORT || die "s_server on the WAN side did not start"
    bg_in $W tcpdump-wan tcpdump -i eth0 -n -s 0 -U -Z root -w "$WORK/sip-nat.wan.pcap"
    sleep 1
    run_phone 1
    sleep 1
}
sc_expect() {
    expect_phone 1 pass null "pass pass not_seen pass pass pass pass pass pass pass pass pass"
}
sc_verify() { check_registered; }
