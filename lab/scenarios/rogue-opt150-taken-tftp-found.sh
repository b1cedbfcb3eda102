# order: 14
SC_TITLE="A rogue DHCP server (192.0.2.66, its own TFTP) answers first with option 150 ="
SC_TITLE+=" 192.0.2.66; the real server answers a second later; the phone takes the rogue lease"
SC_TITLE+=" and downloads CP-8851-3PCC.xml from the rogue over TFTP: it never goes to activation"
SC_PEERS="two dnsmasq 2.90 (real: dhcp-reply-delay=1), tftpd-hpa in the rogue namespace, udhcpc,"
SC_PEERS+=" tftp-hpa"
sc_dnsmasq() { echo "dhcp-reply-delay=1"; echo "dhcp-authoritative"; }
sc_net() {
    rogue_dhcp 'dhcp-option=150,192.0.2.66'
    rogue_tftp
    sleep 1
}
sc_expect() {
    expect_phone 1 fail dhcp-options \
        "pass fail fail not_seen not_seen not_seen
            not_seen not_seen not_seen not_seen not_seen not_seen"
}
