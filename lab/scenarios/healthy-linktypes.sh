# order: 46
# healthy, recorded four ways at once: on br0 (Ethernet, microseconds), on br0
# with nanosecond timestamps, and inside the phone on "any" (Linux cooked v1 and
# v2). The same verdicts are expected from each file.
SC_EXTRA=1
SC_TITLE="healthy boot captured by four tcpdumps at once: br0 (Ethernet; also .nano.pcap with"
SC_TITLE+=" nanosecond timestamps) and -i any inside the phone (.sll.pcap Linux cooked v1,"
SC_TITLE+=" .sll2.pcap v2)"
SC_PEERS="as in healthy; tcpdump -y LINUX_SLL / LINUX_SLL2 in psl-ph1, tcpdump"
SC_PEERS+=" --time-stamp-precision nano on br0"
sc_expect() {
    expect_phone 1 pass null "pass pass not_seen pass pass pass pass pass pass pass pass pass"
}
sc_verify() { check_registered; }
