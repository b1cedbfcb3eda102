# order: 15
SC_TITLE="A rogue DHCP server (192.0.2.66) offers option 150 = 192.0.2.66 but two seconds late; the phone took the real, clean offer first (the rogue OFFER is ignored) and boots fine"
SC_PEERS="two dnsmasq 2.90 (real: dhcp-reply-delay=1), tftpd-hpa in the rogue namespace, udhcpc, tftp-hpa"
sc_dnsmasq() { echo "dhcp-authoritative"; }
sc_net() {
    ns_new psl-rogue 0
    ip link add eth0 netns psl-rogue address 00:00:5e:00:53:66 type veth peer name p-rogue netns $NS_SW
    nsx $NS_SW ip link set p-rogue master br0 up
    nsx psl-rogue ip addr add 192.0.2.66/24 dev eth0
    nsx psl-rogue ip link set eth0 up
    cat >"$WORK/dnsmasq-rogue.conf" <<EOC
port=0
no-ping
bind-interfaces
interface=eth0
user=root
log-facility=-
log-dhcp
pid-file=$WORK/dnsmasq-rogue.pid
dhcp-leasefile=$WORK/dnsmasq-rogue.leases
dhcp-range=192.0.2.200,192.0.2.210,255.255.255.0,1h
dhcp-reply-delay=1
dhcp-option=option:router,$IP_GW
dhcp-option=option:dns-server,$IP_GW
dhcp-option=option:ntp-server,$IP_NTP
dhcp-option=150,192.0.2.66
EOC
    rm -f "$WORK/dnsmasq-rogue.leases"
    bg_in psl-rogue dnsmasq-rogue dnsmasq -k -C "$WORK/dnsmasq-rogue.conf"
    rm -rf "$WORK/tftp-rogue"; mkdir -p "$WORK/tftp-rogue"; chmod 755 "$WORK/tftp-rogue"
    printf '<flat-profile><Proxy_1_>rogue.example.net</Proxy_1_></flat-profile>\n' >"$WORK/tftp-rogue/CP-8851-3PCC.xml"
    chmod 644 "$WORK/tftp-rogue/CP-8851-3PCC.xml"
    bg_in psl-rogue tftpd-rogue in.tftpd --foreground --listen --address "192.0.2.66:69" --secure --verbose "$WORK/tftp-rogue"
    sleep 1
}
sc_run() { run_phone 1; sleep 3; }
sc_expect() {
    expect_phone 1 warn dhcp-options "pass fail not_seen pass pass pass pass pass pass pass pass pass"
}
