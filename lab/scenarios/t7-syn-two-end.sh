# order: 97
SC_TITLE="Every stage up to SRV passes; SYNs to 8934 are dropped and the capture stops 2.5 s after"
SC_TITLE+=" the first SYN (two SYNs: 0 s, 1 s)"
SC_PEERS="nftables drop; tcpdump stopped early"
sc_net() { nft_rule "tcp dport $SBC_PORT drop"; }
t7_stop_after_syn() { # seconds
    run_phone 1 &
    local ph=$!
    local syn='tcp.dstport==8934 && tcp.flags.syn==1'
    wait_for 60 sh -c "tshark -r '$WORK/$(basename "$cap")' -Y '$syn' 2>/dev/null | grep -q ."
    sleep "$1"
    stop_capture
    kill $ph 2>/dev/null
}
sc_run() { t7_stop_after_syn 2.5; }
sc_expect() {
    expect_phone 1 pass null \
        "pass pass not_seen pass pass pass pass pass not_seen not_seen not_seen not_seen"
}
