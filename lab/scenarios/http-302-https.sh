# order: 73
SC_TITLE="DHCP offers option 160 (http://192.0.2.10/CP-8851-3PCC.xml); the server answers 302"
SC_TITLE+=" Found to https://cfg.lab.example.com/ (192.0.2.11, lab-root certificate); the phone"
SC_TITLE+=" follows, the TLS handshake completes and it takes the profile"
SC_PEERS="dnsmasq 2.90 (dhcp-option=160), busybox udhcpc, curl -L (with a --resolve entry for the"
SC_PEERS+=" redirect's host) against lab/scripted_http.py (redirect) and openssl s_server -WWW"
sc_dnsmasq() {
    echo "dhcp-option=160,\"http://$IP_CFG/CP-8851-3PCC.xml\""
    echo "host-record=cfg.lab.example.com,192.0.2.11"
}
sc_net() {
    nsx $NS_NET ip addr add 192.0.2.11/24 dev eth0
    scripted_http http-redirect $IP_CFG 80 redirect https://cfg.lab.example.com/CP-8851-3PCC.xml
    https_server cfg "192.0.2.11:443" cfg.lab.example.com -WWW
    wait_for 10 listening $NS_NET tcp 192.0.2.11 443 || die "s_server for cfg did not start"
}
sc_run() {
    run_phone 1 PH_CURL_FOLLOW=1 PH_CURL_EXTRA="--resolve cfg.lab.example.com:443:192.0.2.11"
}
sc_expect() {
    expect_phone 1 fail dhcp-options \
        "pass fail fail not_seen not_seen not_seen
            not_seen not_seen not_seen not_seen not_seen not_seen"
}
sc_verify() {
    check 'http.response.code == 302' -eq 1
    check 'tls.handshake.extensions_server_name == "cfg.lab.example.com"' -eq 1
    check 'dns.qry.name == "activate.cisco.com"' -eq 0
}
