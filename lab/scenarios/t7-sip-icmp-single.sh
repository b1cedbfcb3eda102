# order: 94
SC_TITLE="One line over UDP to the registrar's port 5070 where nothing listens: every REGISTER"
SC_TITLE+=" answered by ICMP port unreachable"
SC_PEERS="sipp to :5070; kamailio on 5060 only"
sc_run() { run_phone 1 PH_SIP_PORT=5070; }
sc_expect() {
    expect_phone 1 fail sip-register \
        "pass pass not_seen pass pass pass pass pass pass pass fail pass"
}
