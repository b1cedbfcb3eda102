# order: 98
SC_TITLE="The scope hands out no router (option 3 empty, so absent from the ACK); the phone"
SC_TITLE+=" resolves activate.cisco.com from the DNS server on its own subnet, then can send"
SC_TITLE+=" nothing off-link (no route); the capture runs 5 s more"
SC_PEERS="dnsmasq 2.90 (dhcp-option=3 with no value), busybox udhcpc, dig, curl"
sc_dnsmasq() { echo "dhcp-option=3"; }
sc_run() { run_phone 1; sleep 8; }
sc_expect() {
    expect_phone 1 fail dhcp \
        "fail pass not_seen pass not_seen not_seen
            not_seen not_seen not_seen not_seen not_seen not_seen"
}
