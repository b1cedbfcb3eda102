# order: 63
SC_TITLE="DHCP offers option 66 (\"192.0.2.10\"); the profile exists but is not world-readable"
SC_TITLE+=" (mode 600, owner nobody): tftpd-hpa answers ERROR code 2 access violation (\"File must"
SC_TITLE+=" have global read permissions\"); the phone falls back to activation and then passes"
SC_TITLE+=" every stage"
SC_PEERS="dnsmasq 2.90 (dhcp-option=66), busybox udhcpc, tftp-hpa against tftpd-hpa (unreadable"
SC_PEERS+=" file), then as in healthy"
sc_dnsmasq() { echo "dhcp-option=66,\"$IP_CFG\""; }
sc_net() {
    start_tftpd CP-8851-3PCC.xml
    chown nobody "$WORK/tftp/CP-8851-3PCC.xml"
    chmod 600 "$WORK/tftp/CP-8851-3PCC.xml"
}
sc_expect() {
    expect_phone 1 warn dhcp-options \
        "pass fail fail pass pass pass pass pass pass pass pass pass"
}
sc_verify() {
    check 'tftp.error.code == 2' -eq 1
    check_registered
}
