# order: 28
# The provisioning server allows one RSA key-exchange cipher but holds an EC
# key, so no cipher suite works: handshake_failure from the server.
SC_TITLE="cisco.sipflash.com speaks TLS 1.2 with only AES128-SHA (RSA key exchange) but holds an"
SC_TITLE+=" EC key: no shared cipher, the server sends a fatal handshake_failure alert; the phone"
SC_TITLE+=" stops"
SC_PEERS="openssl s_server -tls1_2 -cipher AES128-SHA for provisioning; dnsmasq, udhcpc, dig, curl"
SC_PEERS+=" as in healthy"
sc_net() {
    stop_bg s_server-prov4
    https_server prov4b "$IP_PROV:443" cisco.sipflash.com -WWW -tls1_2 -cipher AES128-SHA
    wait_for 10 listening $NS_NET tcp $IP_PROV 443 || die "s_server for provisioning did not start"
}
sc_expect() {
    expect_phone 1 fail provisioning \
        "pass pass not_seen pass pass pass fail not_seen not_seen not_seen not_seen not_seen"
}
sc_verify() {
    check 'ip.src == 198.51.100.30 && tls.alert_message.desc == 40' -eq 1
}
