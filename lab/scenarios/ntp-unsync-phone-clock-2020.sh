# order: 20
SC_TITLE="The NTP server answers unsynchronised (leap 3, stratum 0) so the phone's clock stays at"
SC_TITLE+=" 2020-01-01 (libfaketime); activate.cisco.com's certificate (valid now, issued 2026)"
SC_TITLE+=" looks not yet valid to the phone, which sends a fatal alert in clear and stops"
SC_PEERS="chronyd server without 'local stratum', chronyd -Q, curl under faketime against openssl"
SC_PEERS+=" s_server (TLS 1.3)"
sc_net() {
    stop_bg chronyd
    sed '/^local stratum/d' "$WORK/chrony-server.conf" >"$WORK/chrony-unsync.conf"
    bg_in $NS_NET chronyd-unsync chronyd -d -x -u root -f "$WORK/chrony-unsync.conf"
    sleep 1
}
sc_run() { run_phone 1 PH_NTP_FIRST=1 "PH_FAKETIME=2020-01-01 00:00:00"; }
sc_expect() {
    expect_phone 1 fail activation \
        "pass pass not_seen pass fail not_seen not_seen not_seen not_seen not_seen not_seen fail"
}
