# order: 96
SC_TITLE="Boot 1: scope offers option 150, TFTP has no profile (not found), the phone falls back"
SC_TITLE+=" to activation and registers; admin removes 150; boot 2 clean and passes"
SC_PEERS="dnsmasq restarted without option 150, tftpd-hpa, busybox udhcpc twice"
sc_dnsmasq() { echo "dhcp-option=150,$IP_CFG"; }
sc_net() { start_tftpd; }
sc_run() {
    run_phone 1
    mv "$WORK/log/phone1.log" "$WORK/log/phone1-boot1.log"
    stop_bg dnsmasq
    grep -v '^dhcp-option=150' "$WORK/dnsmasq.conf" >"$WORK/dnsmasq2.conf"
    bg_in $NS_NET dnsmasq2 dnsmasq -k -C "$WORK/dnsmasq2.conf"
    wait_for 10 listening $NS_NET udp $IP_GW 53
    nsx psl-ph1 ip -4 addr flush dev eth0
    sleep 2
    run_phone 1
}
sc_expect() {
    expect_phone 1 warn dhcp-options \
        "pass warn not_seen pass pass pass pass pass pass pass pass pass"
}
