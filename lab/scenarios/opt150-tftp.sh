# order: 02
# The scope hands out option 150; the phone fetches its profile over TFTP and
# never goes on to activation.
SC_TITLE="DHCP scope offers option 150 (192.0.2.10); the phone fetches CP-8851-3PCC.xml over TFTP"
SC_TITLE+=" (file present, DATA/ACK) and stops: no activation"
SC_PEERS="dnsmasq 2.90 (DHCP with dhcp-option=150), busybox udhcpc, tftp-hpa client against"
SC_PEERS+=" tftpd-hpa"
sc_dnsmasq() { echo "dhcp-option=150,$IP_CFG"; }
sc_net() { start_tftpd CP-8851-3PCC.xml; }
sc_expect() {
    expect_phone 1 fail dhcp-options \
        "pass fail fail not_seen not_seen not_seen
            not_seen not_seen not_seen not_seen not_seen not_seen"
}
sc_verify() {
    check 'dhcp.option.type == 150' -eq 2
    check 'tftp.opcode == 3' -eq 1
    check 'dns' -eq 0
}
