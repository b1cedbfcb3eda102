# order: 42
# A rogue DHCP server on the LAN answers first and hands out option 66; the
# real, authoritative server answers later and NAKs the REQUEST that named the
# rogue, but the phone already has the rogue's ACK and keeps that lease.
SC_TITLE="Two DHCP servers answer: a rogue dnsmasq at 192.0.2.66 offers 192.0.2.200 with option 66"
SC_TITLE+=" = 192.0.2.66 at once, the real one (192.0.2.1, clean scope, authoritative) one second"
SC_TITLE+=" later, and NAKs the phone's REQUEST for the rogue's address; the phone keeps the rogue"
SC_TITLE+=" lease, its TFTP RRQs to 192.0.2.66 get ICMP port unreachable, it falls back to"
SC_TITLE+=" activation and passes every stage"
SC_PEERS="two dnsmasq 2.90 (the real one with dhcp-reply-delay=1; the rogue in its own namespace"
SC_PEERS+=" psl-rogue on the bridge), busybox udhcpc, tftp-hpa; the rest as in healthy"
sc_dnsmasq() { echo "dhcp-reply-delay=1"; }
sc_net() {
    rogue_dhcp 'dhcp-option=66,"192.0.2.66"'
    sleep 1
}
sc_expect() {
    expect_phone 1 warn dhcp-options \
        "warn fail fail pass pass pass pass pass pass pass pass pass"
}
sc_verify() {
    check 'dhcp.option.dhcp == 2' -eq 2
    check 'dhcp.option.dhcp == 6' -eq 1
    check 'ip.dst == 192.0.2.66 && tftp' -ge 1
    check_registered
}
