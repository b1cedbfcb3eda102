# order: 49
# REGISTER over TCP in compact header form (v f t i m l): Expires 30 gets 423
# Interval Too Brief, Expires 120 gets a 407 proxy challenge, then 200.
SC_TITLE="SIP REGISTER over TCP with compact headers: 423 (Min-Expires 60), 407"
SC_TITLE+=" Proxy-Authenticate, then 200 with Proxy-Authorization; everything passes"
SC_PEERS="sipp with conf/register-compact.xml against kamailio -A PROXY_AUTH -A MIN_EXPIRES; the"
SC_PEERS+=" rest as in healthy"
KAMAILIO_DEFINES="-A PROXY_AUTH -A MIN_EXPIRES"
sc_run() { run_phone 1 PH_SIP_TRANSPORT=t1 PH_SIP_SCENARIO="$LAB/conf/register-compact.xml"; }
sc_expect() {
    expect_phone 1 pass null "pass pass not_seen pass pass pass pass pass pass pass pass pass"
}
sc_verify() {
    check 'sip.Status-Code == 423' -eq 1
    check 'sip.Status-Code == 407' -eq 1
    check_registered
}
