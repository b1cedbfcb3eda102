# order: 05
SC_TITLE="SRV gives two targets of equal priority 10: sbc1 weight 10, sbc2 weight 90; the phone"
SC_TITLE+=" tries the heavier sbc2 first, its SYNs are dropped, then sbc1 answers: TLS, NTP,"
SC_TITLE+=" REGISTER pass"
SC_PEERS="dnsmasq srv-host with weights, nftables drop for sbc2 only; the rest as in healthy"
SC_NO_SRV=1
sc_dnsmasq() {
    echo "srv-host=_sips._tcp.sbc.example.com,sbc1.example.com,$SBC_PORT,10,10"
    echo "srv-host=_sips._tcp.sbc.example.com,sbc2.example.com,$SBC_PORT,10,90"
}
sc_net() { nft_rule "ip daddr $IP_SBC2 tcp dport $SBC_PORT drop"; }
sc_expect() {
    expect_phone 1 warn sbc-connect \
        "pass pass not_seen pass pass pass pass pass warn pass pass pass"
}
