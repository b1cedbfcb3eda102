# order: 69
SC_PHONES=2
SC_TITLE="Two phones on one port: :01 on voice VLAN 100 (every frame to and from it tagged), :02"
SC_TITLE+=" untagged; both pass every stage"
SC_PEERS="as in healthy for each phone; lab/vlan.c tags only frames to :01 at the gateway"
SC_PEERS+=" (tc_push_ph1) and every frame of :01, and pops tags on ingress"
sc_net() { vlan_attach $NS_NET tc_push_ph1; }
sc_run() {
    local p
    vlan_attach psl-ph1
    run_phone 1 & p=$!
    sleep 3
    run_phone 2
    wait $p
}
sc_expect() {
    expect_phone 1 pass null "pass pass not_seen pass pass pass pass pass pass pass pass pass"
    expect_phone 2 pass null "pass pass not_seen pass pass pass pass pass pass pass pass pass"
}
sc_verify() {
    check 'eth.addr == 00:00:5e:00:53:02 && vlan' -eq 0
    check 'eth.addr == 00:00:5e:00:53:01 && !vlan' -eq 0
    check 'sip.Status-Code == 200' -eq 2
}
