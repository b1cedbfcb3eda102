# order: 09
SC_TITLE="REGISTER to sbc1:5060 answered 302 Moved Temporarily (Contact sbc2:5060); the phone"
SC_TITLE+=" re-sends to sbc2: 401, authorised REGISTER, 200; every stage passes"
SC_PEERS="kamailio 5.6 (REDIRECT_SBC1 define), sipp with setdest; the rest as in healthy"
KAMAILIO_DEFINES="-A REDIRECT_SBC1"
sc_run() { run_phone 1 PH_SIP_SCENARIO=$LAB/conf/register-302.xml; }
sc_expect() {
    expect_phone 1 pass null "pass pass not_seen pass pass pass pass pass pass pass pass pass"
}
