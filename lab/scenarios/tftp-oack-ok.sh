# order: 62
SC_TITLE="DHCP offers option 66 (\"192.0.2.10\"); the phone's TFTP client (curl) asks for blksize"
SC_TITLE+=" 1024 and tsize, tftpd-hpa answers OACK, the profile comes in one block and the phone"
SC_TITLE+=" takes it"
SC_PEERS="dnsmasq 2.90 (dhcp-option=66), busybox udhcpc, curl as TFTP client (--tftp-blksize)"
SC_PEERS+=" against tftpd-hpa"
sc_dnsmasq() { echo "dhcp-option=66,\"$IP_CFG\""; }
sc_net() { start_tftpd CP-8851-3PCC.xml; }
sc_run() { run_phone 1 PH_TFTP_CLIENT=curl; }
sc_expect() {
    expect_phone 1 fail dhcp-options \
        "pass fail fail not_seen not_seen not_seen
            not_seen not_seen not_seen not_seen not_seen not_seen"
}
sc_verify() {
    check 'tftp.opcode == 6' -eq 1
    check 'dns.qry.name == "activate.cisco.com"' -eq 0
}
