# order: 56
# Option 160 names an HTTPS server by host name: the phone resolves it with
# option 6 and takes the profile over TLS.
SC_TITLE="Option 160 = https://cfg.lab.example.com/CP-8851-3PCC.xml: DNS A for the host, TLS to"
SC_TITLE+=" 192.0.2.10:443 with SNI cfg.lab.example.com, the phone takes the local profile"
SC_PEERS="dnsmasq 2.90 (dhcp-option=160, host-record), busybox udhcpc, dig, curl against openssl"
SC_PEERS+=" s_server -WWW"
sc_dnsmasq() {
    echo "dhcp-option=160,\"https://cfg.lab.example.com/CP-8851-3PCC.xml\""
    echo "host-record=cfg.lab.example.com,$IP_CFG"
}
sc_net() {
    https_server cfg "$IP_CFG:443" cfg.lab.example.com -WWW
    wait_for 10 listening $NS_NET tcp $IP_CFG 443 || die "s_server for cfg did not start"
}
sc_expect() {
    expect_phone 1 fail dhcp-options \
        "pass fail fail not_seen not_seen not_seen
            not_seen not_seen not_seen not_seen not_seen not_seen"
}
sc_verify() {
    check 'tls.handshake.extensions_server_name == "cfg.lab.example.com"' -eq 1
    check 'dns.qry.name == "activate.cisco.com"' -eq 0
}
