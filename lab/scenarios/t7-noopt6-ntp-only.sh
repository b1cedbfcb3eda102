# order: 95
SC_TITLE="The scope gives no option 6; the phone syncs NTP (option 42, an address) and then sends"
SC_TITLE+=" nothing more for 15 s (cannot resolve anything)"
SC_PEERS="dnsmasq (no option 6), busybox udhcpc, chronyd -Q"
sc_dnsmasq() { echo "dhcp-option=option:dns-server"; }
sc_run() { run_phone 1 PH_NTP_FIRST=1; sleep 15; }
sc_expect() {
    expect_phone 1 fail dhcp \
        "fail pass not_seen not_seen not_seen not_seen
            not_seen not_seen not_seen not_seen not_seen pass"
}
