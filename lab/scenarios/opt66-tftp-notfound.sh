# order: 04
SC_TITLE="DHCP offers option 66 (\"192.0.2.10\"); the TFTP RRQ for CP-8851-3PCC.xml gets ERROR"
SC_TITLE+=" File not found (tftp-hpa then ACKs block 1, a quirk of that client); the phone falls"
SC_TITLE+=" back to activation and then passes every stage"
SC_PEERS="dnsmasq 2.90 (dhcp-option=66), busybox udhcpc, tftp-hpa against tftpd-hpa (file absent),"
SC_PEERS+=" then as in healthy: curl/openssl s_server, openssl s_client/s_server, chronyd,"
SC_PEERS+=" sipp/kamailio"
sc_dnsmasq() { echo "dhcp-option=66,\"$IP_CFG\""; }
sc_net() { start_tftpd SEP00005E005399.cnf.xml; }
sc_expect() {
    expect_phone 1 warn dhcp-options \
        "pass fail fail pass pass pass pass pass pass pass pass pass"
}
sc_verify() {
    check 'dhcp.option.type == 66' -eq 2
    check 'tftp.opcode == 5' -eq 1
    check_registered
}
