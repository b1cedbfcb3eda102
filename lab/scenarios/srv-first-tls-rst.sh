# order: 68
SC_TITLE="SRV target sbc1 accepts TCP on 8934, reads the ClientHello and resets the connection;"
SC_TITLE+=" the phone moves to sbc2, whose handshake completes, and registers"
SC_PEERS="lab/scripted_http.py (rst: SO_LINGER 0) on sbc1, openssl s_server on sbc2, openssl"
SC_PEERS+=" s_client; the rest as in healthy"
sc_sbc() {
    scripted_http sbc1-rst $IP_SBC1 $SBC_PORT rst
    https_server sbc2 "$IP_SBC2:$SBC_PORT" sbc2.example.com -rev
}
sc_run() { run_phone 1 PH_TLS_RESET_NEXT=1; }
sc_expect() {
    expect_phone 1 warn sbc-tls \
        "pass pass not_seen pass pass pass pass pass pass warn pass pass"
}
sc_verify() {
    check 'ip.src == 198.51.100.20 && tcp.flags.reset == 1' -ge 1
    check_registered
}
