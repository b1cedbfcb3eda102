# order: 66
SC_TITLE="DHCP offers option 160 (http://192.0.2.10/CP-8851-3PCC.xml); the server answers 200 with"
SC_TITLE+=" a chunked body and closes after its first chunk: no whole profile (no last chunk)"
SC_PEERS="dnsmasq 2.90 (dhcp-option=160), busybox udhcpc, curl against lab/scripted_http.py"
SC_PEERS+=" (chunked-cut)"
sc_dnsmasq() { echo "dhcp-option=160,\"http://$IP_CFG/CP-8851-3PCC.xml\""; }
sc_net() { scripted_http http-chunked $IP_CFG 80 chunked-cut; }
sc_expect() {
    expect_phone 1 fail dhcp-options \
        "pass fail fail not_seen not_seen not_seen
            not_seen not_seen not_seen not_seen not_seen not_seen"
}
sc_verify() {
    check 'http.request.method == "GET"' -eq 1
    check 'tcp.srcport == 80 && tcp.payload contains "chunked"' -eq 1
}
