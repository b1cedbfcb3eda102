# order: 07
SC_TITLE="activate.cisco.com A and AAAA answered NXDOMAIN by the LAN's DNS server; the phone stops"
SC_TITLE+=" (a real one retries about every 60 s)"
SC_PEERS="dnsmasq 2.90 (address=/activate.cisco.com/ gives NXDOMAIN), busybox udhcpc, dig"
SC_NO_ACT_RECORD=1
sc_dnsmasq() { echo "address=/activate.cisco.com/"; }
sc_expect() {
    expect_phone 1 fail dns-activation \
        "pass pass not_seen fail not_seen not_seen
            not_seen not_seen not_seen not_seen not_seen not_seen"
}
sc_verify() {
    check 'dns.flags.rcode == 3' -eq 2
    check 'tcp' -eq 0
}
