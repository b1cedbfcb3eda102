# order: 44
# tls12-expired-ntp-noanswer captured with a 300-byte snaplen: the DHCP OFFER
# and ACK are cut before their options, so dhcp-options is not_seen and the
# hostname and model are unknown (the phone stops before any cleartext
# User-Agent); the TLS alert and the unanswered NTP are still seen.
SC_SNAPLEN=300
SC_TITLE="(tcpdump -s 300) NTP to 203.0.113.123 is dropped (no answer) before the SBC; TLS 1.2 to"
SC_TITLE+=" sbc1:8934 shows a lab-root-signed certificate whose notAfter is 2025-01-01; the phone"
SC_TITLE+=" sends a fatal certificate_expired alert and stops. The snaplen cuts the DHCP OFFER/ACK"
SC_TITLE+=" options (dhcp-options not seen, hostname and model unknown)"
SC_PEERS="chronyd -Q (nft drop udp 123), openssl s_server -tls1_2 with an expired certificate"
SC_PEERS+=" (openssl ca -enddate), openssl s_client -verify_return_error; the rest as in healthy;"
SC_PEERS+=" tcpdump -s 300"
sc_sbc() {
    https_server sbc1 "$IP_SBC1:$SBC_PORT" sbc1-expired -rev -tls1_2
    https_server sbc2 "$IP_SBC2:$SBC_PORT" sbc2-expired -rev -tls1_2
}
sc_net() { nft_rule "udp dport 123 drop"; }
sc_run() { run_phone 1 PH_NTP_FIRST=1; }
sc_expect() {
    expect_phone 1 fail sbc-tls \
        "pass not_seen not_seen pass pass pass pass pass pass fail not_seen fail" "hostname model"
}
sc_verify() {
    check 'frame.cap_len < frame.len' -ge 10
    check 'ip.src == 192.0.2.101 && tls.alert_message.desc == 45' -eq 1
}
