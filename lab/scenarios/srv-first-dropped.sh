# order: 10
SC_TITLE="SRV gives sbc1 (priority 10) and sbc2 (priority 20); SYNs to sbc1:8934 are dropped (four"
SC_TITLE+=" SYNs, 1/2/4 s back-off), sbc2 answers: TLS, NTP and REGISTER then pass (recovered)"
SC_PEERS="dnsmasq 2.90 (srv-host, two targets), dig, openssl s_client/s_server, nftables drop for"
SC_PEERS+=" sbc1 only, chronyd, sipp/kamailio"
sc_net() { nft_rule "ip daddr $IP_SBC1 tcp dport $SBC_PORT drop"; }
sc_expect() {
    expect_phone 1 warn sbc-connect \
        "pass pass not_seen pass pass pass pass pass warn pass pass pass"
}
sc_verify() {
    check 'ip.dst == 198.51.100.20 && tcp.dstport == 8934 && tcp.flags.syn == 1' -eq 4
    check 'ip.src == 198.51.100.21 && tcp.flags.syn == 1 && tcp.flags.ack == 1' -eq 1
    check_registered
}
