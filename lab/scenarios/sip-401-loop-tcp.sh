# order: 17
SC_TITLE="SIP over TCP 5060 with a wrong password: every authorised REGISTER gets another 401; the"
SC_TITLE+=" phone tries three times, then gives up"
SC_PEERS="sipp (REGISTER scenario over TCP, digest auth) against kamailio 5.6 (auth"
SC_PEERS+=" re-challenges); the rest as in healthy"
sc_run() { run_phone 1 PH_SIP_PASS=Wrong-Pass-99 PH_SIP_TRANSPORT=t1; }
sc_expect() {
    expect_phone 1 fail sip-register \
        "pass pass not_seen pass pass pass pass pass pass pass fail pass"
}
sc_verify() {
    check 'tcp && sip.Status-Code == 401' -eq 4
    check 'sip.Status-Code == 200' -eq 0
}
