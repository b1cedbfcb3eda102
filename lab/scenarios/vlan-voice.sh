# order: 19
SC_TITLE="The healthy boot on a voice VLAN: every frame between the phone and the gateway carries"
SC_TITLE+=" an 802.1Q tag (VLAN 100, priority 5); every stage passes"
SC_PEERS="as in healthy; the tags are pushed and popped by a tc eBPF program (lab/vlan.c,"
SC_PEERS+=" bpf_skb_vlan_push/pop) on both ends since this kernel has no VLAN devices"
sc_net() { vlan_attach $NS_NET; }
sc_run() { vlan_attach psl-ph1; run_phone 1; }
sc_expect() {
    expect_phone 1 pass null "pass pass not_seen pass pass pass pass pass pass pass pass pass"
}
sc_verify() {
    check '!vlan' -eq 0
    check 'vlan.id == 100 && vlan.priority == 5' -ge 60
    check_registered
}
