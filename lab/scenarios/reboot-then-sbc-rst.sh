# order: 57
# The first boot registers; then the firewall starts refusing 8934 with TCP
# RST, the phone reboots (new DHCP exchange) and reaches neither SBC.
SC_TITLE="Two boots of one phone: the first passes; before the second, TCP to port 8934 gets RST"
SC_TITLE+=" from both SBCs, so the later boot fails at sbc-connect"
SC_PEERS="as in healthy, twice; nftables 'tcp dport 8934 reject with tcp reset' between the boots"
sc_run() {
    run_phone 1
    cp "$WORK/log/phone1.log" "$WORK/log/phone1-boot1.log"
    rm -rf "$WORK/ph1"
    nft_rule tcp dport $SBC_PORT reject with tcp reset
    sleep 2
    nsx psl-ph1 ip -4 addr flush dev eth0
    run_phone 1
}
sc_expect() {
    expect_phone 1 fail sbc-connect \
        "pass pass not_seen pass pass pass pass pass fail not_seen not_seen not_seen"
}
sc_verify() {
    check 'dhcp.option.dhcp == 5' -eq 2
    check 'tcp.flags.reset == 1 && tcp.srcport == 8934' -ge 2
    check 'sip.Status-Code == 200' -eq 1
}
