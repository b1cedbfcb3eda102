# order: 15
SC_TITLE="A rogue DHCP server (192.0.2.66) offers option 150 = 192.0.2.66 but two seconds late;"
SC_TITLE+=" the phone took the real, clean offer first (the rogue OFFER is ignored) and boots fine"
SC_PEERS="two dnsmasq 2.90 (real: dhcp-reply-delay=1), tftpd-hpa in the rogue namespace, udhcpc,"
SC_PEERS+=" tftp-hpa"
sc_dnsmasq() { echo "dhcp-authoritative"; }
sc_net() {
    rogue_dhcp 'dhcp-reply-delay=1' 'dhcp-option=150,192.0.2.66'
    rogue_tftp
    sleep 1
}
sc_run() { run_phone 1; sleep 3; }
sc_expect() {
    expect_phone 1 warn dhcp-options \
        "pass fail not_seen pass pass pass pass pass pass pass pass pass"
}
