# order: 06
SC_TITLE="DHCP offers option 160 (http://192.0.2.10/CP-8851-3PCC.xml); the HTTP GET gets 404 Not"
SC_TITLE+=" Found; the phone falls back to activation and then passes every stage"
SC_PEERS="dnsmasq 2.90 (dhcp-option=160), busybox udhcpc, curl against busybox httpd (file"
SC_PEERS+=" absent), then as in healthy"
sc_dnsmasq() { echo "dhcp-option=160,\"http://$IP_CFG/CP-8851-3PCC.xml\""; }
sc_net() { start_httpd SEP00005E005399.cnf.xml; }
sc_expect() {
    expect_phone 1 warn dhcp-options \
        "pass fail fail pass pass pass pass pass pass pass pass pass"
}
sc_verify() {
    check 'dhcp.option.type == 160' -eq 2
    check 'http.response.code == 404' -eq 1
    check_registered
}
