# order: 34
# SIP on a port other than 5060, refused by the registrar with 503.
SC_TITLE="SIP on UDP 5062 (not 5060): the registrar answers the first REGISTER with 503 Service"
SC_TITLE+=" Unavailable; the phone stops"
SC_PEERS="kamailio 5.6 (listen 5062, sl_send_reply 503), sipp REGISTER to :5062; the rest as in"
SC_PEERS+=" healthy"
KAMAILIO_DEFINES="-A SIP_503 -A ALT_PORT"
sc_run() { run_phone 1 PH_SIP_PORT=5062; }
sc_expect() {
    expect_phone 1 fail sip-register \
        "pass pass not_seen pass pass pass pass pass pass pass fail pass"
}
sc_verify() {
    check 'udp.port == 5062' -ge 2
    check 'sip.Status-Code == 503' -ge 1
}
