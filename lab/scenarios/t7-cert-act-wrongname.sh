# order: 90
SC_TITLE="activate.cisco.com:443 served over TLS 1.2 with the lab's cisco.sipflash.com"
SC_TITLE+=" certificate: curl rejects the name"
SC_PEERS="openssl s_server -tls1_2 -WWW, curl"
sc_net() {
    stop_bg s_server-act4
    https_server act4b "$IP_ACT:443" cisco.sipflash.com -WWW -tls1_2
    wait_for 10 listening $NS_NET tcp $IP_ACT 443
}
sc_expect() {
    expect_phone 1 fail activation \
        "pass pass not_seen pass fail not_seen
            not_seen not_seen not_seen not_seen not_seen not_seen"
}
