# order: 20
SC_TITLE="DNS over IPv6 (static address 2001:db8:1::101 and DNS server 2001:db8:1::1 in the phone:"
SC_TITLE+=" no RA or DHCPv6 here): the phone asks 2001:db8:1::1 for activate.cisco.com and"
SC_TITLE+=" cisco.sipflash.com (A and AAAA) and reaches both HTTPS servers over IPv6; SRV, SBC"
SC_TITLE+=" over IPv4, NTP and REGISTER pass"
SC_PEERS="dnsmasq 2.90 listening on IPv6 too, busybox udhcpc (IPv4 lease), dig over IPv6, curl"
SC_PEERS+=" over IPv6 to openssl s_server, the rest as in healthy"
SC_V6=1
sc_dnsmasq() { echo "listen-address=$IP6_GW"; }
sc_run() {
    run_phone 1 PH_V6ADDR=2001:db8:1::101/64 PH_V6GW=$IP6_GW PH_DNS=$IP6_GW PH_PREFER_V6=1
}
sc_expect() {
    expect_phone 1 pass null "pass pass not_seen pass pass pass pass pass pass pass pass pass"
}
sc_verify() {
    check 'ipv6.src == 2001:db8:1::1 && dns.flags.rcode == 0' -ge 6
    check 'ipv6 && tls.handshake.extensions_server_name == "activate.cisco.com"' -eq 1
    check_registered
}
