# order: 59
# Two phones boot together; the second has a wrong SIP password.
SC_PHONES=2
SC_TITLE="Two phones booting at once: :01 passes; :02 has a wrong SIP password (401 again over"
SC_TITLE+=" UDP)"
SC_PEERS="as in healthy, two phones at once"
sc_run() {
    local p1
    run_phone 1 & p1=$!
    sleep 0.3
    run_phone 2 PH_SIP_PASS=Wrong-Pass-99
    wait $p1
}
sc_expect() {
    expect_phone 1 pass null "pass pass not_seen pass pass pass pass pass pass pass pass pass"
    expect_phone 2 fail sip-register \
        "pass pass not_seen pass pass pass pass pass pass pass fail pass"
}
sc_verify() {
    check 'ip.dst == 192.0.2.101 && sip.Status-Code == 200' -eq 1
    check 'ip.dst == 192.0.2.102 && sip.Status-Code == 200' -eq 0
}
