# order: 72
# The boot of sip-nat, recorded on both sides of the masquerading router and
# merged: every REGISTER twice, from the phone's LAN address and from the
# router's WAN address, with the same Call-ID and From tag.
. "$LAB/scenarios/sip-nat.sh"
SC_TITLE="sip-nat seen on both sides of the router (the LAN bridge and the WAN side merged): the"
SC_TITLE+=" phone is listed under its LAN address and under the router's, and a warning says they"
SC_TITLE+=" send the same REGISTERs"
SC_PEERS="as in sip-nat; mergecap of the bridge's and psl-wan's tcpdump"
sc_after() {
    mergecap -F pcap -w "$WORK/sip-nat-both.pcap" "$cap" "$WORK/sip-nat.wan.pcap" ||
        die "mergecap failed"
    cap=$WORK/sip-nat-both.pcap
}
sc_expect() {
    expect_phone 1 pass null "pass pass not_seen pass pass pass pass pass pass pass pass pass"
    EXPECT_IP=203.0.113.201 expect_phone 1 warn sip-register \
        "not_seen not_seen not_seen not_seen not_seen not_seen
            not_seen not_seen pass pass warn not_seen" \
        "hostname mac"
}
sc_verify() { check 'sip.Method == "REGISTER"' -ge 4; }
