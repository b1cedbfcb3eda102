# order: 21
# Option 43 (vendor specific) carrying a URL is not a provisioning option of an
# MPP phone: dhcp-options fails on it, but the phone boots normally.
SC_TITLE="DHCP scope forces option 43 carrying a provisioning URL (raw string"
SC_TITLE+=" http://192.0.2.10/CP-8851-3PCC.xml); the phone ignores it and passes every stage"
SC_PEERS="dnsmasq 2.90 (dhcp-option-force=43), busybox udhcpc, then as in healthy"
sc_dnsmasq() { echo "dhcp-option-force=43,\"http://$IP_CFG/CP-8851-3PCC.xml\""; }
sc_expect() {
    expect_phone 1 warn dhcp-options \
        "pass fail not_seen pass pass pass pass pass pass pass pass pass"
}
sc_verify() {
    check 'dhcp.option.type == 43' -eq 2
    check_registered
}
