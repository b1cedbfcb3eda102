# order: 32
# An SRV answer over 512 bytes: truncated over UDP, complete over TCP 53.
SC_TITLE="The SRV answer is too big for UDP (sbc1, sbc2 plus 60 priority-50 targets): dnsmasq sets"
SC_TITLE+=" TC, dig retries over TCP 53 and gets it; every stage passes"
SC_PEERS="dnsmasq 2.90 (62 srv-host lines with host-records), dig (automatic TCP retry), the rest"
SC_PEERS+=" as in healthy"
sc_dnsmasq() {
    local i
    for i in $(seq 10 69); do
        echo "srv-host=_sips._tcp.sbc.example.com,sbc-spare-$i.example.com,$SBC_PORT,50,10"
        echo "host-record=sbc-spare-$i.example.com,198.51.100.$((100 + i))"
    done
}
sc_expect() {
    expect_phone 1 pass null \
        "pass pass not_seen pass pass pass pass pass pass pass pass pass"
}
sc_verify() {
    check 'dns.flags.truncated == 1' -ge 1
    check 'tcp.port == 53 && dns.count.answers > 10' -ge 1
    check_registered
}
