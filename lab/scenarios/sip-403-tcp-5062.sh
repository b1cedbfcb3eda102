# order: 39
# sip-403-udp over TCP and on a port other than 5060.
SC_TITLE="SIP over TCP to port 5062 (not 5060) with a wrong password: REGISTER, 401, REGISTER with"
SC_TITLE+=" Authorization, 403 Forbidden"
SC_PEERS="kamailio 5.6 (listen tcp 5062, FORBID_BAD_PASSWORD), sipp -t t1 to :5062; the rest as in"
SC_PEERS+=" healthy"
KAMAILIO_DEFINES="-A FORBID_BAD_PASSWORD -A ALT_PORT"
sc_run() { run_phone 1 PH_SIP_PASS=Wrong-Pass-99 PH_SIP_TRANSPORT=t1 PH_SIP_PORT=5062; }
sc_expect() {
    expect_phone 1 fail sip-register \
        "pass pass not_seen pass pass pass pass pass pass pass fail pass"
}
sc_verify() {
    check 'tcp.port == 5062 && sip.Status-Code == 403' -eq 1
}
