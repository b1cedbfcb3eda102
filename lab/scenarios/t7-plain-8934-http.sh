# order: 93
SC_TITLE="sbc1:8934 is a plain HTTP server: it answers the ClientHello with HTTP/1.1 400 and"
SC_TITLE+=" closes; s_client fails (wrong version number), the phone stops"
SC_PEERS="lab/banner_server.py on sbc1:8934; openssl s_client"
sc_sbc() {
    bg_in $NS_NET banner python3 "$LAB/banner_server.py" $IP_SBC1 $SBC_PORT - \
        'HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n'
    https_server sbc2 "$IP_SBC2:$SBC_PORT" sbc2.example.com -rev
}
sc_expect() {
    expect_phone 1 fail sbc-tls \
        "pass pass not_seen pass pass pass pass pass pass fail not_seen not_seen"
}
