# order: 07
SC_TITLE="The NTP server answers but is itself unsynchronised (leap 3, no reference): the phone's"
SC_TITLE+=" clock is not set; TLS 1.2 to sbc1 then shows an expired certificate and the phone"
SC_TITLE+=" sends certificate_expired"
SC_PEERS="chronyd server without 'local stratum' (answers unsynchronised), chronyd -Q, openssl"
SC_PEERS+=" s_server -tls1_2 with an expired certificate"
sc_sbc() {
    https_server sbc1 "$IP_SBC1:$SBC_PORT" sbc1-expired -rev -tls1_2
    https_server sbc2 "$IP_SBC2:$SBC_PORT" sbc2-expired -rev -tls1_2
}
sc_net() {
    stop_bg chronyd
    sed '/^local stratum/d' "$WORK/chrony-server.conf" >"$WORK/chrony-unsync.conf"
    bg_in $NS_NET chronyd-unsync chronyd -d -x -u root -f "$WORK/chrony-unsync.conf"
    sleep 1
}
sc_run() { run_phone 1 PH_NTP_FIRST=1; }
sc_expect() {
    expect_phone 1 fail sbc-tls \
        "pass pass not_seen pass pass pass pass pass pass fail not_seen fail"
}
