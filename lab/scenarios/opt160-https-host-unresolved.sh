# order: 61
# Option 160 names an HTTPS server whose host name option 6 does not know: the
# phone cannot fetch the profile and goes on to activation, which passes.
SC_TITLE="Option 160 = https://cfg.lab.example.com/CP-8851-3PCC.xml but the DNS server has no"
SC_TITLE+=" record for that host (A query answered REFUSED): no local profile, the phone falls"
SC_TITLE+=" back to activation and boots"
SC_PEERS="dnsmasq 2.90 (dhcp-option=160, no host-record for cfg.lab.example.com), busybox udhcpc,"
SC_PEERS+=" dig; the rest as in healthy"
sc_dnsmasq() { echo "dhcp-option=160,\"https://cfg.lab.example.com/CP-8851-3PCC.xml\""; }
sc_expect() {
    expect_phone 1 warn dhcp-options "pass fail fail pass pass pass pass pass pass pass pass pass"
}
sc_verify() {
    local empty='dns.flags.response == 1 && dns.count.answers == 0'
    check "dns.qry.name == \"cfg.lab.example.com\" && $empty" -ge 1
    check 'tcp.dstport == 443 && ip.dst == 192.0.2.10' -eq 0
    check_registered
}
