# order: 94
SC_TITLE="Two lines over UDP: 5301 registers on 5060; 5311 is configured with registrar port 5070"
SC_TITLE+=" where nothing listens (ICMP port unreachable to every REGISTER)"
SC_PEERS="sipp twice; kamailio on 5060 only"
. "$LAB/t7lib.sh"
sc_run() {
    run_phone 1 \
        PH_SIP_CMD="$T7LINE t7line 5301 Lab-Pass-53 5060 u1; t7line 5311 Lab-Pass-53 5061 u1 5070"
}
sc_expect() {
    expect_phone 1 fail sip-register \
        "pass pass not_seen pass pass pass pass pass pass pass fail pass"
}
