# order: 01
# Every stage passes: lease without provisioning options, activation and
# provisioning over HTTPS, SRV to two SBCs, TLS to the first, NTP, REGISTER 401/200.
SC_TITLE="One phone, every stage passes: DHCP (no 66/150/159/160), DNS A+AAAA activate.cisco.com,"
SC_TITLE+=" HTTPS activation and cisco.sipflash.com, SRV _sips._tcp with two targets, TCP+TLS 1.3"
SC_TITLE+=" to sbc1:8934, NTP, SIP REGISTER over UDP 401 then 200"
SC_PEERS="dnsmasq 2.90 (DHCP, DNS), busybox udhcpc, dig, curl against openssl s_server, openssl"
SC_PEERS+=" s_client/s_server (8934), chronyd (client -Q, server), sipp against kamailio 5.6"
sc_expect() {
    expect_phone 1 pass null "pass pass not_seen pass pass pass pass pass pass pass pass pass"
}
sc_verify() {
    check 'dhcp.option.type in {66 150 159 160}' -eq 0
    check_registered
}
