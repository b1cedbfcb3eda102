# order: 38
# Only NTP fails: its server never answers; the phone registers all the same.
SC_TITLE="Everything passes except NTP: the phone's request to 203.0.113.123 is dropped (no"
SC_TITLE+=" reply); REGISTER 401/200 afterwards"
SC_PEERS="nftables drop udp 123 in the gateway namespace, chronyd -Q; the rest as in healthy"
sc_net() { nft_rule "udp dport 123 drop"; }
sc_expect() {
    expect_phone 1 warn ntp \
        "pass pass not_seen pass pass pass pass pass pass pass pass fail"
}
sc_verify() {
    check 'ntp.flags.mode == 4' -eq 0
    check 'sip.Status-Code == 200' -eq 1
}
