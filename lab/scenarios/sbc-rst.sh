# order: 11
SC_TITLE="Both SBC targets refuse 8934 with a TCP RST: sbc1 has no listener (kernel RST), sbc2 is"
SC_TITLE+=" behind an nft 'reject with tcp reset'; the phone gives up"
SC_PEERS="dnsmasq 2.90, dig, curl/openssl s_server, openssl s_client, the kernel's RST for a"
SC_PEERS+=" closed port, nftables reject with tcp reset"
sc_sbc() { https_server sbc2 "$IP_SBC2:$SBC_PORT" sbc2.example.com -rev; }
sc_net() { nft_rule "ip daddr $IP_SBC2 tcp dport $SBC_PORT reject with tcp reset"; }
sc_expect() {
    expect_phone 1 fail sbc-connect \
        "pass pass not_seen pass pass pass pass pass fail not_seen not_seen not_seen"
}
sc_verify() {
    check 'tcp.srcport == 8934 && tcp.flags.reset == 1' -eq 2
    check 'tcp.srcport == 8934 && tcp.flags.syn == 1' -eq 0
}
