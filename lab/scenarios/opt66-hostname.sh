# order: 64
SC_TITLE="DHCP offers option 66 as a host name (cfg.lab.example.com); the phone resolves it with"
SC_TITLE+=" option 6 (DNS A 192.0.2.10), fetches CP-8851-3PCC.xml over TFTP and takes it"
SC_PEERS="dnsmasq 2.90 (dhcp-option=66, host-record), busybox udhcpc, dig, tftp-hpa against"
SC_PEERS+=" tftpd-hpa"
sc_dnsmasq() {
    echo "dhcp-option=66,\"cfg.lab.example.com\""
    echo "host-record=cfg.lab.example.com,$IP_CFG"
}
sc_net() { start_tftpd CP-8851-3PCC.xml; }
sc_expect() {
    expect_phone 1 fail dhcp-options \
        "pass fail fail not_seen not_seen not_seen
            not_seen not_seen not_seen not_seen not_seen not_seen"
}
sc_verify() {
    check 'dns.qry.name == "cfg.lab.example.com" && dns.flags.response == 1' -ge 1
    check 'tftp.opcode == 3' -ge 1
}
