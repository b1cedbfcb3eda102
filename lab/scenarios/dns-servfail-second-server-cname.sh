# order: 52
# Option 6 lists the validating resolver (SERVFAIL for cisco.com, bogus) first
# and the gateway second; the gateway answers activate.cisco.com with a CNAME
# chain. sbc1 has A and AAAA.
SC_TITLE="Option 6 = 192.0.2.53, 192.0.2.1: the first answers SERVFAIL (DNSSEC bogus) for A and"
SC_TITLE+=" AAAA activate.cisco.com, the second answers through a two-step CNAME chain; the boot"
SC_TITLE+=" then passes"
SC_PEERS="unbound (validating, as in dns-servfail) and dnsmasq 2.90 (cname=), dig asking each"
SC_PEERS+=" option-6 server in turn; the rest as in healthy"
SC_NO_ACT_RECORD=1
DHCP_DNS="$IP_RESOLVER,$IP_GW"
sc_dnsmasq() {
    echo "cname=activate.cisco.com,act-edge.cisco.com"
    echo "cname=act-edge.cisco.com,act-edge.geo.example.net"
    echo "host-record=act-edge.geo.example.net,$IP_ACT"
    echo "host-record=sbc1.example.com,$IP_SBC1,2001:db8:100::20"
}
sc_net() { start_unbound cisco.com; }
sc_expect() {
    expect_phone 1 warn dns-activation \
        "pass pass not_seen warn pass pass pass pass pass pass pass pass"
}
sc_verify() {
    check 'dns.flags.rcode == 2' -ge 2
    check_registered
}
