# order: 11
SC_TITLE="The phone registers (401, 200 OK expires 120); then the path to the SBC breaks (nft"
SC_TITLE+=" drops UDP 5060) and its refresh REGISTER 4 s later is retransmitted without any answer"
SC_PEERS="sipp register-refresh.xml against kamailio; nftables drop added after the 200"
sc_run() {
    run_phone 1 PH_SIP_SCENARIO=$LAB/conf/register-refresh.xml &
    local p=$!
    wait_for 90 test -e "$WORK/ph1/register.ok"
    nft_rule "udp dport 5060 drop"
    wait $p
}
sc_expect() {
    expect_phone 1 fail sip-register \
        "pass pass not_seen pass pass pass pass pass pass pass fail pass"
}
