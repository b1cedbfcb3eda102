# order: 55
# Option 160 names an HTTP server on port 8080 that has the profile: the phone
# takes it and never reaches activation.
SC_TITLE="Option 160 = http://192.0.2.10:8080/CP-8851-3PCC.xml and the profile is there (200 on a"
SC_TITLE+=" non-standard port): the phone takes the local profile"
SC_PEERS="dnsmasq 2.90 (dhcp-option=160), busybox udhcpc, curl against busybox httpd -p 8080"
sc_dnsmasq() { echo "dhcp-option=160,\"http://$IP_CFG:8080/CP-8851-3PCC.xml\""; }
sc_net() {
    rm -rf "$WORK/http"
    mkdir -p "$WORK/http"
    printf '<flat-profile>\n<Proxy_1_>pbx.lab.example.com</Proxy_1_>\n</flat-profile>\n' \
        >"$WORK/http/CP-8851-3PCC.xml"
    bg_in $NS_NET httpd busybox httpd -f -vv -p "$IP_CFG:8080" -h "$WORK/http"
    wait_for 10 listening $NS_NET tcp $IP_CFG 8080 || die "httpd did not start"
}
sc_expect() {
    expect_phone 1 fail dhcp-options \
        "pass fail fail not_seen not_seen not_seen
            not_seen not_seen not_seen not_seen not_seen not_seen"
}
sc_verify() {
    check 'http.response.code == 200' -eq 1
    check 'dns' -eq 0
}
