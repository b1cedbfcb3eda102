# order: 23
# Option 159 alone with a tftp:// URL: the phone fetches the profile over TFTP,
# finds it and keeps it (no activation).
SC_TITLE="DHCP offers option 159 = tftp://192.0.2.10/CP-8851-3PCC.xml (no 160); the phone fetches"
SC_TITLE+=" it over TFTP (found) and stops"
SC_PEERS="dnsmasq 2.90 (dhcp-option=159), busybox udhcpc, curl tftp:// against tftpd-hpa"
sc_dnsmasq() { echo "dhcp-option=159,\"tftp://$IP_CFG/CP-8851-3PCC.xml\""; }
sc_net() { start_tftpd CP-8851-3PCC.xml; }
sc_expect() {
    expect_phone 1 fail dhcp-options \
        "pass fail fail not_seen not_seen not_seen
            not_seen not_seen not_seen not_seen not_seen not_seen"
}
sc_verify() {
    check 'dhcp.option.type == 159' -eq 2
    check 'tftp.opcode == 3' -ge 1
    check 'dns' -eq 0
}
