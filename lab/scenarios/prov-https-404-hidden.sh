# order: 13
SC_TITLE="Activation fine; cisco.sipflash.com completes the TLS handshake but answers HTTP 403"
SC_TITLE+=" Forbidden inside it (device not in Control Hub); the phone stops there (the"
SC_TITLE+=" capture ends with its reset; the name is older than the 403)"
SC_PEERS="python ssl server answering 403 on 198.51.100.30:443; curl; the rest as in healthy"
sc_net() {
    stop_bg s_server-prov4
    bg_in $NS_NET https-403 python3 "$LAB/https_status.py" $IP_PROV 443 \
        "$WORK/pki/cisco.sipflash.com.crt" "$WORK/pki/cisco.sipflash.com.key" "403 Forbidden"
    wait_for 10 listening $NS_NET tcp $IP_PROV 443 || die "https_status did not start"
}
sc_run() { run_phone 1 PH_HTTP_STRICT=1; sleep 20; }
sc_expect() {
    expect_phone 1 pass null \
        "pass pass not_seen pass pass pass pass not_seen not_seen not_seen not_seen not_seen"
}
