# order: 43
# opt66-tftp-icmp captured with a 300-byte snaplen: the DHCP options (from byte
# 282 on) are cut, so option 66, the hostname and the REGISTERs are not seen;
# the TFTP RRQs and the ICMP errors still are.
SC_SNAPLEN=300
SC_TITLE="(tcpdump -s 300) DHCP offers option 66 (192.0.2.10) but no TFTP server runs there: every"
SC_TITLE+=" RRQ is answered by ICMP port unreachable; the phone falls back to activation and"
SC_TITLE+=" passes every stage. The snaplen hides option 66 (cut), the hostname and the SIP"
SC_TITLE+=" REGISTER exchange"
SC_PEERS="dnsmasq 2.90 (dhcp-option=66), busybox udhcpc, tftp-hpa (no server: kernel ICMP), then"
SC_PEERS+=" as in healthy; tcpdump -s 300"
sc_dnsmasq() { echo "dhcp-option=66,\"$IP_CFG\""; }
sc_expect() {
    expect_phone 1 warn local-config \
        "pass not_seen fail pass pass pass pass pass pass pass not_seen pass" hostname
}
sc_verify() {
    check 'frame.cap_len < frame.len' -ge 10
    check 'icmp.type == 3 && icmp.code == 3' -ge 1
}
