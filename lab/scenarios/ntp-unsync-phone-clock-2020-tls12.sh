# order: 21
SC_TITLE="As ntp-unsync-phone-clock-2020 but activate.cisco.com speaks TLS 1.2, so its certificate"
SC_TITLE+=" (valid 2026-2029) is in clear; the phone (clock 2020-01-01) rejects it as not yet"
SC_TITLE+=" valid"
SC_PEERS="chronyd server without 'local stratum', chronyd -Q, curl under faketime against openssl"
SC_PEERS+=" s_server -tls1_2"
sc_net() {
    stop_bg chronyd s_server-act4
    sed '/^local stratum/d' "$WORK/chrony-server.conf" >"$WORK/chrony-unsync.conf"
    bg_in $NS_NET chronyd-unsync chronyd -d -x -u root -f "$WORK/chrony-unsync.conf"
    https_server act4b "$IP_ACT:443" activate.cisco.com -WWW -tls1_2
    sleep 1
}
sc_run() { run_phone 1 PH_NTP_FIRST=1 "PH_FAKETIME=2020-01-01 00:00:00"; }
sc_expect() {
    expect_phone 1 fail activation \
        "pass pass not_seen pass fail not_seen not_seen not_seen not_seen not_seen not_seen fail"
}
