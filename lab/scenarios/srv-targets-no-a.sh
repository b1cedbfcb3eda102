# order: 31
# The SRV record exists but none of its targets has an IPv4 address: one name
# does not exist, the other has only an AAAA record.
SC_TITLE="SRV _sips._tcp.sbc.example.com answers two targets: sbc-gone.example.com (NXDOMAIN) and"
SC_TITLE+=" sbc6.example.com (AAAA only: A gives NOERROR/no data); the phone finds no IPv4 SBC and"
SC_TITLE+=" stops"
SC_PEERS="dnsmasq 2.90 (srv-host, local=/example.com/, AAAA-only host-record), dig"
SC_NO_SRV=1
sc_dnsmasq() {
    echo "local=/example.com/"
    echo "srv-host=_sips._tcp.sbc.example.com,sbc-gone.example.com,$SBC_PORT,10,60"
    echo "srv-host=_sips._tcp.sbc.example.com,sbc6.example.com,$SBC_PORT,20,40"
    echo "host-record=sbc6.example.com,2001:db8:100::21"
}
sc_expect() {
    expect_phone 1 fail dns-srv \
        "pass pass not_seen pass pass pass pass fail not_seen not_seen not_seen not_seen"
}
sc_verify() {
    check 'dns.flags.rcode == 3' -ge 1
    check 'tcp.dstport == 8934' -eq 0
}
