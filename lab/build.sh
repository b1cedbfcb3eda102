#!/bin/bash
# build.sh - build the provscope capture lab and record its captures.
#
#   lab/build.sh                 every scenario in lab/scenarios/, in order
#   lab/build.sh healthy sbc-drop    only those
#   lab/build.sh --list          scenario names
#   lab/build.sh --readme        only rewrite captures/README.md (no root)
#
# Runs as root. Installs the Debian packages it needs, builds psl-* network
# namespaces joined by a bridge, runs real servers and a scripted phone in
# them, captures the LAN with tcpdump into captures/<name>.pcap[ng], writes
# captures/<name>.pcap[ng].expected.json and captures/README.md, and removes
# every namespace and process it made, also when a step fails.
set -u
LAB=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$LAB")
OUT=${PSL_OUT:-$ROOT/captures}
WORK=${PSL_WORK:-/tmp/psl-lab}
# shellcheck source=lib.sh
. "$LAB/lib.sh"

scenarios_all() {
    local f
    for f in "$LAB"/scenarios/*.sh; do
        printf '%s %s\n' "$(sed -n 's/^# order: *//p' "$f")" "$(basename "$f" .sh)"
    done | sort -n | awk '{print $2}'
}

if [ "${1:-}" = --list ]; then
    scenarios_all
    exit 0
fi

PACKAGES="dnsmasq-base busybox tftpd-hpa tftp-hpa kamailio sip-tester unbound bind9-dnsutils \
curl openssl chrony nginx-light nftables tcpdump tshark wireshark-common clang iproute2 xxd \
isc-dhcp-client python3 faketime gnutls-bin"

install_packages() {
    local missing="" p
    for p in $PACKAGES; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
            missing="$missing $p"
    done
    [ -z "$missing" ] && return 0
    # Another install may be running (the machine's setup logs to /tmp/apt.log).
    if [ -f /tmp/apt.log ]; then
        wait_for 900 grep -q '^done' /tmp/apt.log || log "waited 15 min for /tmp/apt.log"
    fi
    log "installing:$missing"
    # policy-rc.d keeps the packages' own services (chrony, unbound, tftpd) from
    # starting on the host; the lab runs its own copies inside the namespaces.
    local policy=/usr/sbin/policy-rc.d made_policy=0
    if [ ! -e $policy ]; then
        printf '#!/bin/sh\nexit 101\n' >$policy && chmod +x $policy && made_policy=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $missing ||
        { apt-get update && DEBIAN_FRONTEND=noninteractive \
            apt-get install -y --no-install-recommends $missing; } ||
        die "apt-get install failed"
    [ $made_policy = 1 ] && rm -f $policy
    return 0
}

cleanup() {
    teardown
}
trap cleanup EXIT
trap 'exit 130' INT TERM

run_scenario() { # name
    local name=$1 file="$LAB/scenarios/$1.sh" ext cap v
    [ -f "$file" ] || die "no scenario $name (see lab/build.sh --list)"
    log "=== $name"
    teardown
    # Scenario defaults, then the scenario's own definitions.
    unset -f sc_dnsmasq sc_net sc_sbc sc_run sc_after sc_expect sc_verify
    SC_PHONES=1 SC_V6=0 SC_FORMAT=pcap SC_TITLE="" SC_PEERS="" KAMAILIO_DEFINES="" DHCP_DNS=""
    SC_NO_ACT_RECORD="" SC_NO_SRV="" SC_SNAPLEN="" SC_EXTRA=0 SC_PHONE_SCRIPT=""
    # shellcheck disable=SC1090
    . "$file"
    rm -rf "$WORK/ph1" "$WORK/ph2" "$WORK/ph3" "$WORK/log" "$WORK/www"
    mkdir -p "$WORK/log"
    : >"$WORK/pids"
    build_net "$SC_PHONES" "$SC_V6"
    start_servers "$SC_V6"
    cap="$WORK/$name.pcap"
    rm -f "$cap"
    start_capture "$cap"
    sleep 0.5
    if declare -F sc_run >/dev/null; then sc_run; else run_phone 1; fi
    sleep 1
    stop_capture
    # sc_after may commit another file instead of the bridge's capture (a
    # router's WAN side, a merge of both): it sets cap.
    if declare -F sc_after >/dev/null; then sc_after; fi
    for f in "$WORK"/log/phone*.log; do sed "s/^/  /" "$f" >&2; done
    ext=pcap
    if [ "$SC_FORMAT" = pcapng ]; then
        ext=pcapng
        editcap -F pcapng "$cap" "$OUT/$name.pcapng" || die "editcap failed"
        rm -f "$OUT/$name.pcap" "$OUT/$name.pcap.expected.json"
    else
        cp "$cap" "$OUT/$name.pcap"
        rm -f "$OUT/$name.pcapng" "$OUT/$name.pcapng.expected.json"
    fi
    CAP="$OUT/$name.$ext" CHECK_FAILED=0
    declare -F sc_verify >/dev/null && sc_verify
    [ "$CHECK_FAILED" = 0 ] || die "$name: the capture does not show what the scenario expects"
    expect_reset
    sc_expect
    expect_write "$OUT/$name.$ext.expected.json"
    # SC_EXTRA: the same boot seen by the other tcpdumps, with the same verdicts.
    if [ "$SC_EXTRA" = 1 ]; then
        for v in sll sll2 nano; do
            cp "$WORK/$name.$v.pcap" "$OUT/$name.$v.pcap" || die "no $name.$v.pcap"
            cp "$OUT/$name.$ext.expected.json" "$OUT/$name.$v.pcap.expected.json"
        done
    fi
    packets=$(capinfos -c -M "$OUT/$name.$ext" |
        awk -F: '/Number of packets/ {gsub(/ /,"",$2); print $2}')
    log "$name: $packets packets, $(stat -c %s "$OUT/$name.$ext") bytes"
    teardown
}

# The README's expected cell of a capture, from its expectation file (the
# truth the tests hold it to): "<phone>: <verdict> at <root cause>" per
# phone, a phone named by its MAC's last byte (:01) or its address.
expected_cell() {
    python3 - "$1" <<'PY'
import json, sys
try:
    doc = json.load(open(sys.argv[1]))
except OSError:
    sys.exit(0)
cells = []
for p in doc.get("phones", []):
    pid = p.get("id") or p.get("mac") or ",".join(p.get("ips", []))
    name = ":" + pid.split(":")[-1] if pid.count(":") == 5 else pid
    root = p.get("root_cause")
    cells.append(f"{name} {p.get('verdict')}" + (f" at {root}" if root else ""))
print("; ".join(cells))
PY
}

write_readme() {
    local f name ext exp
    {
        cat "$LAB/README.head.md"
        echo
        echo "| capture | what it shows | real peers | expected (phone: verdict at root cause) |"
        echo "| --- | --- | --- | --- |"
        for name in $(scenarios_all); do
            f="$LAB/scenarios/$name.sh"
            ext=$(sed -n 's/^SC_FORMAT=//p' "$f")
            ext=${ext:-pcap}
            SC_TITLE="" SC_PEERS=""
            eval "$(grep -E '^SC_(TITLE|PEERS)[+]?=' "$f")"
            exp=$(expected_cell "$OUT/$name.$ext.expected.json")
            echo "| \`$name.$ext\` | $SC_TITLE | $SC_PEERS | $exp |"
        done
        echo
        echo "Derived from the captures above by \`lab/derive.sh\` (standard tools, no"
        echo "hand-made packets; see its head for the exact commands):"
        echo
        echo "| capture | from | how | expected |"
        echo "| --- | --- | --- | --- |"
        sed -n 's/^#| \(.*\)/| \1 |/p' "$LAB/derive.sh"
        echo
        cat "$LAB/README.tail.md"
    } >"$OUT/README.md"
}

if [ "${1:-}" = --readme ]; then
    write_readme
    exit 0
fi
[ "$(id -u)" = 0 ] || exec sudo "$0" "$@"

install_packages
for t in ip tcpdump dnsmasq in.tftpd tftp kamailio sipp busybox unbound dig openssl curl \
    chronyd nft editcap capinfos clang tc xxd dhclient python3; do
    command -v "$t" >/dev/null || die "$t is missing after install"
done
mkdir -p "$OUT" "$WORK"
teardown
rm -f "$WORK/vlan.o"
make_pki
if [ $# -eq 0 ]; then set -- $(scenarios_all); fi
for s in "$@"; do run_scenario "$s"; done
write_readme
log "done: $*"
