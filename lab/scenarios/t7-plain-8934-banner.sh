# order: 93
SC_TITLE="sbc1:8934 is a plain-text service that speaks first (SSH banner) then answers the"
SC_TITLE+=" ClientHello with a line and closes; s_client fails, the phone stops"
SC_PEERS="lab/banner_server.py on sbc1:8934; openssl s_client"
sc_sbc() {
    bg_in $NS_NET banner python3 "$LAB/banner_server.py" $IP_SBC1 $SBC_PORT \
        'SSH-2.0-OpenSSH_9.6\r\n' 'Protocol mismatch.\n'
    https_server sbc2 "$IP_SBC2:$SBC_PORT" sbc2.example.com -rev
}
sc_expect() {
    expect_phone 1 fail sbc-tls \
        "pass pass not_seen pass pass pass pass pass pass fail not_seen not_seen"
}
