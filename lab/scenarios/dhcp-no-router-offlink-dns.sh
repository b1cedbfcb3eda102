# order: 99
SC_TITLE="The scope hands out no router (option 3) and a DNS server on another subnet"
SC_TITLE+=" (203.0.113.53): the phone can send nothing at all after its lease"
SC_PEERS="dnsmasq 2.90 (dhcp-option=3 with no value), busybox udhcpc"
sc_dnsmasq() {
    echo "dhcp-option=3"
    echo "dhcp-option=option:dns-server,203.0.113.53"
}
sc_run() { run_phone 1; sleep 8; }
sc_expect() {
    expect_phone 1 fail dhcp \
        "fail pass not_seen not_seen not_seen not_seen
            not_seen not_seen not_seen not_seen not_seen not_seen"
}
