# order: 22
# Option 125 (V-I vendor specific, RFC 3925) with Cisco's enterprise number 9
# and a URL in sub-option 1: forced into the reply, ignored by the phone.
SC_TITLE="DHCP scope forces option 125 (V-I vendor specific, enterprise 9 Cisco, sub-option 1 ="
SC_TITLE+=" https://192.0.2.10/CP-8851-3PCC.xml); the phone ignores it and passes every stage"
SC_PEERS="dnsmasq 2.90 (dhcp-option-force=125 hex), busybox udhcpc, then as in healthy"
sc_dnsmasq() {
    # enterprise 9, data length 0x25, sub-option 1 length 0x23, then the URL.
    local url hex
    url="https://$IP_CFG/CP-8851-3PCC.xml"
    hex=$(printf '%s' "$url" | xxd -p | tr -d '\n' | sed 's/../&:/g; s/:$//')
    echo "dhcp-option-force=125,00:00:00:09:25:01:23:$hex"
}
sc_expect() {
    expect_phone 1 warn dhcp-options \
        "pass fail not_seen pass pass pass pass pass pass pass pass pass"
}
sc_verify() {
    check 'dhcp.option.type == 125' -eq 2
    check_registered
}
