# order: 26
# Option 160's HTTP server refuses the phone (403, not 404): the phone falls
# back to activation all the same.
SC_TITLE="DHCP offers option 160 (http://192.0.2.10/CP-8851-3PCC.xml); busybox httpd denies the"
SC_TITLE+=" phone: 403 Forbidden; the phone falls back to activation and passes every stage"
SC_PEERS="dnsmasq 2.90 (dhcp-option=160), busybox udhcpc, curl against busybox httpd (httpd.conf"
SC_PEERS+=" D:*), then as in healthy"
sc_dnsmasq() { echo "dhcp-option=160,\"http://$IP_CFG/CP-8851-3PCC.xml\""; }
sc_net() {
    # The file exists, but httpd.conf denies every client except loopback.
    rm -rf "$WORK/http"
    mkdir -p "$WORK/http"
    echo '<flat-profile/>' >"$WORK/http/CP-8851-3PCC.xml"
    printf 'A:127.0.0.1\nD:*\n' >"$WORK/httpd.conf"
    bg_in $NS_NET httpd busybox httpd -f -vv -p "$IP_CFG:80" -h "$WORK/http" \
        -c "$WORK/httpd.conf"
    wait_for 10 listening $NS_NET tcp $IP_CFG 80 || die "httpd did not start"
}
sc_expect() {
    expect_phone 1 warn dhcp-options \
        "pass fail fail pass pass pass pass pass pass pass pass pass"
}
sc_verify() {
    check 'http.response.code == 403' -eq 1
    check_registered
}
