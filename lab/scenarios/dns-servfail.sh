# order: 08
SC_TITLE="The scope's DNS server (192.0.2.53) is a validating resolver with a trust anchor for"
SC_TITLE+=" cisco.com; the upstream's answer is unsigned (DNSSEC bogus), so activate.cisco.com A"
SC_TITLE+=" and AAAA get SERVFAIL; the phone stops"
SC_PEERS="unbound (validating, forwarding to a second dnsmasq on 203.0.113.53, not on the captured"
SC_PEERS+=" LAN), dnsmasq 2.90 DHCP, busybox udhcpc, dig"
DHCP_DNS=$IP_RESOLVER
sc_net() { start_unbound cisco.com; }
sc_expect() {
    expect_phone 1 fail dns-activation \
        "pass pass not_seen fail not_seen not_seen
            not_seen not_seen not_seen not_seen not_seen not_seen"
}
sc_verify() {
    check 'dns.flags.rcode == 2' -eq 2
    check 'tcp' -eq 0
}
