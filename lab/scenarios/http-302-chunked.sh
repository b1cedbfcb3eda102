# order: 65
SC_TITLE="DHCP offers option 160 (http://192.0.2.10/CP-8851-3PCC.xml); the server answers 302"
SC_TITLE+=" Found to http://192.0.2.11/, which answers 200 with a chunked body; the phone follows"
SC_TITLE+=" and takes the profile"
SC_PEERS="dnsmasq 2.90 (dhcp-option=160), busybox udhcpc, curl -L against lab/scripted_http.py"
SC_PEERS+=" (redirect, chunked)"
sc_dnsmasq() { echo "dhcp-option=160,\"http://$IP_CFG/CP-8851-3PCC.xml\""; }
sc_net() {
    nsx $NS_NET ip addr add 192.0.2.11/24 dev eth0
    scripted_http http-redirect $IP_CFG 80 redirect http://192.0.2.11/CP-8851-3PCC.xml
    scripted_http http-chunked 192.0.2.11 80 chunked
}
sc_run() { run_phone 1 PH_CURL_FOLLOW=1; }
sc_expect() {
    expect_phone 1 fail dhcp-options \
        "pass fail fail not_seen not_seen not_seen
            not_seen not_seen not_seen not_seen not_seen not_seen"
}
sc_verify() {
    check 'http.response.code == 302' -eq 1
    check 'http.transfer_encoding == "chunked"' -eq 1
}
