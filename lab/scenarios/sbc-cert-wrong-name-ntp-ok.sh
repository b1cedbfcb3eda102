# order: 08
SC_TITLE="NTP first and answered; sbc1:8934 (TLS 1.2) presents a valid lab-root certificate for"
SC_TITLE+=" sbc2.example.com (wrong name); the phone rejects it with a fatal alert and stops"
SC_PEERS="openssl s_server -tls1_2 with sbc2's certificate on sbc1; openssl s_client"
SC_PEERS+=" -verify_hostname"
sc_sbc() {
    https_server sbc1 "$IP_SBC1:$SBC_PORT" sbc2.example.com -rev -tls1_2
    https_server sbc2 "$IP_SBC2:$SBC_PORT" sbc1.example.com -rev -tls1_2
}
sc_run() { run_phone 1 PH_NTP_FIRST=1; }
sc_expect() {
    expect_phone 1 fail sbc-tls \
        "pass pass not_seen pass pass pass pass pass pass fail not_seen pass"
}
