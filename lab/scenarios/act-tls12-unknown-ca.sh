# order: 37
# TLS inspection in front of activation: the phone does not trust the proxy's
# CA and stops at activation (the SBC case is tls12-unknown-ca).
SC_TITLE="activate.cisco.com:443 speaks TLS 1.2 with a certificate issued by 'PSL Lab TLS"
SC_TITLE+=" Inspection CA'; the phone (curl) sends a fatal unknown_ca alert and stops at"
SC_TITLE+=" activation"
SC_PEERS="openssl s_server -tls1_2 with an inspection-CA certificate for activation, curl --cacert"
SC_PEERS+=" lab root; dnsmasq, udhcpc, dig"
sc_net() {
    stop_bg s_server-act4
    https_server act4b "$IP_ACT:443" act-inspected -WWW -tls1_2
    wait_for 10 listening $NS_NET tcp $IP_ACT 443 || die "s_server for activation did not start"
}
sc_expect() {
    expect_phone 1 fail activation \
        "pass pass not_seen pass fail not_seen
            not_seen not_seen not_seen not_seen not_seen not_seen"
}
sc_verify() {
    check 'ip.src == 192.0.2.101 && tls.alert_message.desc == 48' -eq 1
}
