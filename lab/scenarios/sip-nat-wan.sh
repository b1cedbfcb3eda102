# order: 71
# The boot of sip-nat, recorded on the router's WAN side: the phone's packets
# carry the router's public address and MAC; its REGISTERs keep the private
# Via and Contact (no SIP ALG).
. "$LAB/scenarios/sip-nat.sh"
SC_TITLE="sip-nat seen from the WAN side of the masquerading router: TLS to sbc1:8934 and SIP from"
SC_TITLE+=" 203.0.113.201 with the router's MAC, the REGISTERs' Via and Contact still 192.0.2.101;"
SC_TITLE+=" the phone registers"
SC_PEERS="as in sip-nat (nftables masquerade without a SIP ALG, openssl s_server and kamailio 5.6"
SC_PEERS+=" in psl-wan); the committed capture is tcpdump on psl-wan's eth0"
sc_after() { cap=$WORK/sip-nat.wan.pcap; }
sc_expect() {
    EXPECT_IP=203.0.113.201 expect_phone 1 warn sip-register \
        "not_seen not_seen not_seen not_seen not_seen not_seen
            not_seen not_seen pass pass warn not_seen" \
        "hostname mac"
}
sc_verify() { check 'sip.Method == "REGISTER" && ip.src == 203.0.113.201' -ge 2; }
