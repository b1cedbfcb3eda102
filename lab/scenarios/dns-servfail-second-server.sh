# order: 60
# dns-servfail with a second option-6 server that answers: the phone asks the
# gateway next and boots.
SC_TITLE="Option 6 = 192.0.2.53, 192.0.2.1: the first answers SERVFAIL (DNSSEC bogus) for"
SC_TITLE+=" activate.cisco.com, the second answers A and AAAA; the boot then passes"
SC_PEERS="unbound (validating, as in dns-servfail), dnsmasq 2.90, dig asking each option-6 server"
SC_PEERS+=" in turn; the rest as in healthy"
DHCP_DNS="$IP_RESOLVER,$IP_GW"
sc_net() { start_unbound cisco.com; }
sc_expect() {
    expect_phone 1 warn dns-activation \
        "pass pass not_seen warn pass pass pass pass pass pass pass pass"
}
sc_verify() {
    check 'dns.flags.rcode == 2' -ge 2
    check_registered
}
