# order: 29
# Two faults: NTP (tried first here, right after DHCP) gets no answer, then the
# SBC's certificate is expired. With TLS 1.2 the certificate is in clear.
SC_TITLE="NTP to 203.0.113.123 is dropped (no answer) before the SBC; TLS 1.2 to sbc1:8934 shows a"
SC_TITLE+=" lab-root-signed certificate whose notAfter is 2025-01-01; the phone sends a fatal"
SC_TITLE+=" certificate_expired alert and stops"
SC_PEERS="chronyd -Q (nft drop udp 123), openssl s_server -tls1_2 with an expired certificate"
SC_PEERS+=" (openssl ca -enddate), openssl s_client -verify_return_error; the rest as in healthy"
sc_sbc() {
    https_server sbc1 "$IP_SBC1:$SBC_PORT" sbc1-expired -rev -tls1_2
    https_server sbc2 "$IP_SBC2:$SBC_PORT" sbc2-expired -rev -tls1_2
}
sc_net() { nft_rule "udp dport 123 drop"; }
sc_run() { run_phone 1 PH_NTP_FIRST=1; }
sc_expect() {
    expect_phone 1 fail sbc-tls \
        "pass pass not_seen pass pass pass pass pass pass fail not_seen fail"
}
sc_verify() {
    check 'ip.src == 192.0.2.101 && tls.alert_message.desc == 45' -eq 1
    check 'ntp.flags.mode == 4' -eq 0
}
