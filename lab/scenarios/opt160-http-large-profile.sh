# order: 05
SC_TITLE="DHCP offers option 160 (http://192.0.2.10/CP-8851-3PCC.xml); the phone's HTTP GET gets"
SC_TITLE+=" 200 and a 96 kB profile over many segments, and keeps it: no activation"
SC_PEERS="dnsmasq 2.90 (dhcp-option=160), busybox udhcpc, curl against busybox httpd"
sc_dnsmasq() { echo "dhcp-option=160,\"http://$IP_CFG/CP-8851-3PCC.xml\""; }
sc_net() {
    start_httpd CP-8851-3PCC.xml
    # Pad the profile with an XML comment: the body takes dozens of segments.
    local i
    for i in $(seq 1 1500); do
        printf '<!-- line %04d of a large profile: padding padding padding -->\n' "$i"
    done >>"$WORK/http/CP-8851-3PCC.xml"
}
sc_expect() {
    expect_phone 1 fail dhcp-options \
        "pass fail fail not_seen not_seen not_seen
            not_seen not_seen not_seen not_seen not_seen not_seen"
}
sc_verify() {
    check 'http.response.code == 200' -eq 1
    check 'tcp.srcport == 80 && tcp.len > 1000' -ge 5
}
