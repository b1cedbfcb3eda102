# order: 35
# The registrar never answers: only the phone's REGISTER retransmissions.
SC_TITLE="REGISTER over UDP 5060 is never answered (nft drops UDP 5060 at the SBC); sipp"
SC_TITLE+=" retransmits, then gives up"
SC_PEERS="sipp against an nftables drop rule; the rest as in healthy"
sc_net() { nft_rule "udp dport 5060 drop"; }
sc_expect() {
    expect_phone 1 fail sip-register \
        "pass pass not_seen pass pass pass pass pass pass pass fail pass"
}
sc_verify() {
    check 'sip.Method == "REGISTER"' -ge 2
    check 'sip.Status-Code' -eq 0
}
