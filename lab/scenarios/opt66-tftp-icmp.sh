# order: 25
# Option 66 points at a host with no TFTP server: the kernel there answers each
# RRQ with ICMP port unreachable; the phone falls back to activation.
SC_TITLE="DHCP offers option 66 (192.0.2.10) but no TFTP server runs there: every RRQ is answered"
SC_TITLE+=" by ICMP port unreachable; the phone falls back to activation and passes every stage"
SC_PEERS="dnsmasq 2.90 (dhcp-option=66), busybox udhcpc, tftp-hpa (no server: kernel ICMP), then"
SC_PEERS+=" as in healthy"
sc_dnsmasq() { echo "dhcp-option=66,\"$IP_CFG\""; }
sc_expect() {
    expect_phone 1 warn dhcp-options \
        "pass fail fail pass pass pass pass pass pass pass pass pass"
}
sc_verify() {
    check 'icmp.type == 3 && icmp.code == 3 && tftp' -ge 1
    check_registered
}
