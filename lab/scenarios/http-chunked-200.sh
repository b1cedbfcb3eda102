# order: 66
SC_TITLE="DHCP offers option 160 (http://192.0.2.10/CP-8851-3PCC.xml); the server answers 200 with"
SC_TITLE+=" a chunked body (no Content-Length); the phone takes the profile"
SC_PEERS="dnsmasq 2.90 (dhcp-option=160), busybox udhcpc, curl against lab/scripted_http.py"
SC_PEERS+=" (chunked)"
sc_dnsmasq() { echo "dhcp-option=160,\"http://$IP_CFG/CP-8851-3PCC.xml\""; }
sc_net() { scripted_http http-chunked $IP_CFG 80 chunked; }
sc_expect() {
    expect_phone 1 fail dhcp-options \
        "pass fail fail not_seen not_seen not_seen
            not_seen not_seen not_seen not_seen not_seen not_seen"
}
sc_verify() { check 'http.transfer_encoding == "chunked"' -eq 1; }
