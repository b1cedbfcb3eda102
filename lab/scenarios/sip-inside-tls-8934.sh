# order: 03
SC_TITLE="Webex-like: TLS 1.3 to sbc1:8934 completes and the REGISTER goes inside the TLS session"
SC_TITLE+=" (application data both ways); no cleartext SIP anywhere; NTP answered"
SC_PEERS="openssl s_client piping a REGISTER into the session, openssl s_server -rev answering;"
SC_PEERS+=" the rest as in healthy"
sc_run() { run_phone 1 PH_SIP_IN_TLS=1; }
sc_expect() {
    expect_phone 1 pass null "pass pass not_seen pass pass pass pass pass pass pass not_seen pass"
}
