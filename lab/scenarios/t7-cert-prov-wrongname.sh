# order: 90
SC_TITLE="cisco.sipflash.com:443 served over TLS 1.2 with the lab's activate.cisco.com"
SC_TITLE+=" certificate: curl completes the handshake, then rejects the name and closes"
SC_PEERS="openssl s_server -tls1_2 -WWW, curl"
sc_net() {
    stop_bg s_server-prov4
    https_server prov4b "$IP_PROV:443" activate.cisco.com -WWW -tls1_2
    wait_for 10 listening $NS_NET tcp $IP_PROV 443
}
sc_expect() {
    expect_phone 1 fail provisioning \
        "pass pass not_seen pass pass pass fail not_seen not_seen not_seen not_seen not_seen"
}
