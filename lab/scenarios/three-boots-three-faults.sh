# order: 04
SC_TITLE="Three boots of one phone: boot 1 NXDOMAIN for activate.cisco.com; boot 2 resolves but"
SC_TITLE+=" SYNs to 8934 are dropped for both SBCs; boot 3 reaches sbc1 (TLS ok) and its REGISTER"
SC_TITLE+=" gets 401 then 403 (wrong password)"
SC_PEERS="dnsmasq restarted between boots, nftables drop then removed, kamailio"
SC_PEERS+=" FORBID_BAD_PASSWORD"
SC_NO_ACT_RECORD=1
KAMAILIO_DEFINES="-A FORBID_BAD_PASSWORD"
sc_dnsmasq() { echo "address=/activate.cisco.com/"; }
sc_run() {
    run_phone 1
    mv "$WORK/log/phone1.log" "$WORK/log/phone1-boot1.log"
    stop_bg dnsmasq
    grep -v "^address=/activate" "$WORK/dnsmasq.conf" \
        | sed "s/^# no record: //" >"$WORK/dnsmasq2.conf"
    bg_in $NS_NET dnsmasq2 dnsmasq -k -C "$WORK/dnsmasq2.conf"
    wait_for 10 listening $NS_NET udp $IP_GW 53 || die "dnsmasq did not restart"
    nft_rule tcp dport $SBC_PORT drop
    nsx psl-ph1 ip -4 addr flush dev eth0
    sleep 2
    run_phone 1
    mv "$WORK/log/phone1.log" "$WORK/log/phone1-boot2.log"
    nsx $NS_NET nft flush chain inet psl_lab input
    nsx psl-ph1 ip -4 addr flush dev eth0
    sleep 2
    run_phone 1 PH_SIP_PASS=Wrong-Pass-99
}
sc_expect() {
    expect_phone 1 fail sip-register \
        "pass pass not_seen warn pass pass pass pass warn pass fail pass"
}
