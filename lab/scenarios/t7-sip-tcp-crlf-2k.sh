# order: 91
SC_TITLE="600 CRLFCRLF keep-alives (2400 bytes) before the first REGISTER; 401 then 200"
SC_PEERS="lab/sip_small.py (python socket, TCP_NODELAY) to kamailio TCP 5060; the rest as in"
SC_PEERS+=" healthy"
sc_run() {
    local sip='$LAB/sip_small.py $ip4 $sbc 5060 $PH_SIP_USER $PH_SIP_PASS 4 0 600'
    run_phone 1 PH_SIP_PASS=Lab-Pass-53 PH_SIP_CMD="timeout 60 python3 $sip"
}
sc_expect() {
    expect_phone 1 pass null \
        "pass pass not_seen pass pass pass pass pass pass pass pass pass"
}
