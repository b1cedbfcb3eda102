# order: 12
SC_TITLE="Healthy boot, then the phone renews its lease mid-capture (RENEWING: unicast REQUEST"
SC_TITLE+=" with ciaddr, no DISCOVER) and gets an ACK; every stage passes"
SC_PEERS="busybox udhcpc kept running and sent SIGUSR1; the rest as in healthy"
sc_run() { run_phone 1 PH_DHCP_BG=1; }
sc_expect() {
    expect_phone 1 pass null "pass pass not_seen pass pass pass pass pass pass pass pass pass"
}
