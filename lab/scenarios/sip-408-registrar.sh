# order: 10
SC_TITLE="Every REGISTER to the SBC is answered 408 Request Timeout by the proxy (it could not"
SC_TITLE+=" reach the registrar behind it); the phone stops"
SC_PEERS="kamailio 5.6 (SIP_408 define); sipp; the rest as in healthy"
KAMAILIO_DEFINES="-A SIP_408"
sc_expect() {
    expect_phone 1 fail sip-register \
        "pass pass not_seen pass pass pass pass pass pass pass fail pass"
}
