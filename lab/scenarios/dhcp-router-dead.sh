# order: 101
SC_TITLE="The scope's router (option 3) is 192.0.2.254, where no host answers ARP; DNS is on the"
SC_TITLE+=" LAN and answers, but the phone's HTTPS to activate.cisco.com never leaves: its ARP for"
SC_TITLE+=" the gateway goes unanswered"
SC_PEERS="dnsmasq 2.90 (dhcp-option=3,192.0.2.254), busybox udhcpc, dig, curl (after tester53)"
sc_dnsmasq() { echo "dhcp-option=option:router,192.0.2.254"; }
sc_run() {
    run_phone 1
    local i
    for i in 1 2; do
        sleep 3
        nsx psl-ph1 curl -sS --max-time 8 -o /dev/null \
            --resolve activate.cisco.com:443:198.51.100.10 https://activate.cisco.com/ \
            >/dev/null 2>&1
    done
}
sc_expect() {
    expect_phone 1 fail dhcp \
        "fail pass not_seen pass not_seen not_seen
            not_seen not_seen not_seen not_seen not_seen not_seen"
}
sc_verify() {
    check 'arp.opcode == 1 && arp.dst.proto_ipv4 == 192.0.2.254' -ge 3
    check 'arp.opcode == 2 && arp.src.proto_ipv4 == 192.0.2.254' -eq 0
}
