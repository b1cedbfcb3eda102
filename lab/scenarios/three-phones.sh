# order: 18
SC_FORMAT=pcapng
SC_PHONES=3
SC_TITLE="Three phones on one bridge, booting at once (pcapng): :01 gets option 150 from its host"
SC_TITLE+=" tag and takes a TFTP profile; :02 offers only TLS 1.2 to a TLS 1.3-only SBC"
SC_TITLE+=" (protocol_version alert); :03 has a wrong SIP password (repeated 401 over UDP)"
SC_PEERS="dnsmasq 2.90 (per-host tags), three busybox udhcpc, tftp-hpa/tftpd-hpa, dig,"
SC_PEERS+=" curl/openssl s_server, openssl s_client/s_server -tls1_3, chronyd, sipp/kamailio;"
SC_PEERS+=" editcap to pcapng"
sc_dnsmasq() { echo "dhcp-option=tag:ph1,150,$IP_CFG"; }
sc_net() { start_tftpd CP-8851-3PCC.xml; }
sc_sbc() {
    https_server sbc1 "$IP_SBC1:$SBC_PORT" sbc1.example.com -rev -tls1_3
    https_server sbc2 "$IP_SBC2:$SBC_PORT" sbc2.example.com -rev -tls1_3
}
sc_run() {
    local p1 p2 p3
    run_phone 1 & p1=$!
    sleep 0.3
    run_phone 2 PH_TLS_OPTS=-tls1_2 & p2=$!
    sleep 0.3
    run_phone 3 PH_SIP_PASS=Wrong-Pass-99 & p3=$!
    wait $p1 $p2 $p3
}
sc_expect() {
    expect_phone 1 fail dhcp-options \
        "pass fail fail not_seen not_seen not_seen
            not_seen not_seen not_seen not_seen not_seen not_seen"
    expect_phone 2 fail sbc-tls \
        "pass pass not_seen pass pass pass pass pass pass fail not_seen not_seen"
    expect_phone 3 fail sip-register \
        "pass pass not_seen pass pass pass pass pass pass pass fail pass"
}
sc_verify() {
    check 'dhcp.option.dhcp == 5' -eq 3
    check 'ip.dst == 192.0.2.101 && tftp.opcode == 3' -eq 1
    check 'ip.dst == 192.0.2.102 && tls.alert_message.desc == 70' -eq 1
    check 'ip.dst == 192.0.2.103 && sip.Status-Code == 401' -eq 4
    check 'ip.src == 192.0.2.101 && dns' -eq 0
    check 'dhcp.option.type == 150' -eq 2
    check 'ip.dst == 192.0.2.101 && dhcp.option.type == 150' -eq 2
}
