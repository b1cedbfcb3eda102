# order: 53
# A phone with IPv6 only (no DHCPv4, no NTP): DNS over IPv6 to the gateway,
# activation, provisioning, TLS and REGISTER over IPv6.
SC_V6=1
SC_PHONE_SCRIPT=phone6.sh
SC_TITLE="IPv6-only phone (static 2001:db8:1::101, no DHCP, no NTP): AAAA lookups, HTTPS"
SC_TITLE+=" activation and provisioning, TLS 1.3 to [2001:db8:100::20]:8934, SIP REGISTER over"
SC_TITLE+=" UDP/IPv6 401 then 200"
SC_PEERS="dnsmasq 2.90 (DNS on 2001:db8:1::1), dig, curl/openssl s_server, openssl"
SC_PEERS+=" s_client/s_server on IPv6, sipp against kamailio -A LISTEN6"
KAMAILIO_DEFINES="-A LISTEN6"
sc_dnsmasq() {
    echo "listen-address=$IP6_GW"
    echo "host-record=sbc1.example.com,$IP_SBC1,2001:db8:100::20"
}
sc_sbc() {
    nsx $NS_NET ip addr add 2001:db8:100::20/128 dev lo nodad
    https_server sbc1 "$IP_SBC1:$SBC_PORT" sbc1.example.com -rev
    https_server sbc16 "[2001:db8:100::20]:$SBC_PORT" sbc1.example.com -rev
    https_server sbc2 "$IP_SBC2:$SBC_PORT" sbc2.example.com -rev
}
sc_expect() {
    expect_phone 1 pass null \
        "not_seen not_seen not_seen pass pass pass pass pass pass pass pass not_seen" hostname
}
sc_verify() {
    check 'ip' -eq 0
    check 'sip.Status-Code == 200' -eq 1
}
