# order: 75
SC_TITLE="DHCP offers option 66 (\"192.0.2.10\"); the phone's TFTP client (curl) asks for blksize"
SC_TITLE+=" 1024, tftpd-hpa answers OACK and sends the 5000-byte profile in five blocks; the phone"
SC_TITLE+=" takes it"
SC_PEERS="dnsmasq 2.90 (dhcp-option=66), busybox udhcpc, curl as TFTP client (--tftp-blksize)"
SC_PEERS+=" against tftpd-hpa"
sc_dnsmasq() { echo "dhcp-option=66,\"$IP_CFG\""; }
sc_net() {
    local f="$WORK/tftp/CP-8851-3PCC.xml"
    start_tftpd CP-8851-3PCC.xml
    head -c $((5000 - $(stat -c %s "$f"))) /dev/zero | tr '\0' ' ' >>"$f"
}
sc_run() { run_phone 1 PH_TFTP_CLIENT=curl; }
sc_expect() {
    expect_phone 1 fail dhcp-options \
        "pass fail fail not_seen not_seen not_seen
            not_seen not_seen not_seen not_seen not_seen not_seen"
}
sc_verify() {
    check 'tftp.opcode == 6' -eq 1
    check 'tftp.opcode == 3' -eq 5
}
