# order: 58
# activate.cisco.com is a CNAME chain; the phone's HTTPS goes to the IP literal
# without SNI, so only the DNS answers tie the connections to the names.
SC_TITLE="activate.cisco.com answered through a two-step CNAME chain; activation and provisioning"
SC_TITLE+=" HTTPS go to the address with no SNI; everything passes"
SC_PEERS="dnsmasq 2.90 (cname=), dig, curl -k to the IP literal against openssl s_server; the rest"
SC_PEERS+=" as in healthy"
SC_NO_ACT_RECORD=1
sc_dnsmasq() {
    echo "cname=activate.cisco.com,act-edge.cisco.com"
    echo "cname=act-edge.cisco.com,act-edge.geo.example.net"
    echo "host-record=act-edge.geo.example.net,$IP_ACT"
}
sc_run() { run_phone 1 PH_NO_SNI=1; }
sc_expect() {
    expect_phone 1 pass null "pass pass not_seen pass pass pass pass pass pass pass pass pass"
}
sc_verify() {
    local hello='tls.handshake.type == 1 && tcp.dstport == 443'
    check "$hello && !tls.handshake.extensions_server_name" -eq 2
    check_registered
}
