# order: 50
# As sip-compact-423-407-tcp over UDP with a wrong password: the answer to the
# credentials is a second 407 and the phone stops.
SC_TITLE="SIP REGISTER over UDP with compact headers and a wrong password: 423, 407, then 407"
SC_TITLE+=" again"
SC_PEERS="sipp with conf/register-compact.xml against kamailio -A PROXY_AUTH -A MIN_EXPIRES; the"
SC_PEERS+=" rest as in healthy"
KAMAILIO_DEFINES="-A PROXY_AUTH -A MIN_EXPIRES"
sc_run() {
    run_phone 1 PH_SIP_PASS=Wrong-Pass-99 PH_SIP_SCENARIO="$LAB/conf/register-compact.xml"
}
sc_expect() {
    expect_phone 1 fail sip-register \
        "pass pass not_seen pass pass pass pass pass pass pass fail pass"
}
sc_verify() {
    check 'sip.Status-Code == 407' -eq 2
    check 'sip.Status-Code == 200' -eq 0
}
