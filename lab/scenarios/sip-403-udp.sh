# order: 16
SC_TITLE="SIP over UDP 5060 with a wrong password: REGISTER, 401 with a Digest challenge, REGISTER"
SC_TITLE+=" with Authorization, 403 Forbidden; everything before passes"
SC_PEERS="sipp (REGISTER scenario, digest auth) against kamailio 5.6 (auth, registrar; 403 on a"
SC_PEERS+=" bad password); the rest as in healthy"
KAMAILIO_DEFINES="-A FORBID_BAD_PASSWORD"
sc_run() { run_phone 1 PH_SIP_PASS=Wrong-Pass-99 PH_SIP_TRANSPORT=u1; }
sc_expect() {
    expect_phone 1 fail sip-register \
        "pass pass not_seen pass pass pass pass pass pass pass fail pass"
}
sc_verify() {
    check 'udp && sip.Status-Code == 403' -eq 1
    check 'sip.Status-Code == 200' -eq 0
}
