#!/bin/bash
# derive.sh - captures made from the lab's own captures with standard tools
# (editcap, mergecap, gzip, head -c, tcpdump -r, tcprewrite) or lab/reframe.py,
# which only re-frames the captured bytes. No packet here is written by hand.
#   lab/derive.sh            all
#   lab/derive.sh NAME...    only those (names as in the table below)
#   lab/derive.sh --list     names
#
# Needs no root and no network. Reads and writes captures/ (PSL_OUT); the
# sources are built by `sudo lab/build.sh healthy-linktypes
# sip-compact-423-407-tcp two-phones-one-wrong-password`. Each derived capture
# gets <capture>.expected.json from expect_phone (lib.sh), like the lab's own.
# Byte counts for head -c fit the committed sources: after a rebuild, check
# that each cut still falls where its line says.
#
# The lines starting with "#|" are the rows of the derived-captures table in
# captures/README.md (build.sh copies them): capture | from | how | expected.
#| `fmt-nokia.pcap` | healthy-linktypes.pcap | editcap -F nokiapcap: standard magic, 4 more bytes after each record header | pass
#| `fmt-nokia-opt150-tftp.pcap` | opt150-tftp.pcap | editcap -F nokiapcap: its second standard-layout header reads a plausible length, only its fraction of a second gives the layout away | fail at dhcp-options, as the source
#| `fmt-redhat61.pcap` | healthy-linktypes.pcap | editcap -F rh6_1pcap: standard magic, 8 more bytes after each record header | pass
#| `fmt-modpcap.pcap` | healthy-linktypes.pcap | editcap -F modpcap: Kuznetzov's modified pcap, magic 0xa1b2cd34, 8 more bytes after each record header | pass
#| `fmt-bigendian.pcap` | healthy-linktypes.pcap | file and record headers big-endian (reframe.py bigendian) | pass
#| `fmt-rawip.pcap` | healthy-linktypes.pcap | linktype 101, Ethernet headers and ARP removed (reframe.py rawip) | pass
#| `fmt-comments-dsb.pcapng` | healthy-linktypes.pcap | editcap: section comment, two packet comments, a TLS key log Decryption Secrets Block | pass
#| `fmt-gzip.pcapng.gz` | fmt-comments-dsb.pcapng | gzip -n | pass
#| `fmt-gzip-cut.pcapng.gz` | fmt-gzip.pcapng.gz | head -c 6180: the gzip stream stops inside the provisioning exchange | pass, dns-srv onwards not_seen
#| `fmt-cut-midpacket.pcap` | healthy-linktypes.pcap | head -c 14760: the file ends inside frame 74 (SIP 200 OK) | pass, sip-register not_seen
#| `fmt-pcapng-cut-midblock.pcapng` | fmt-comments-dsb.pcapng | head -c 9061: the file ends inside an Enhanced Packet Block during provisioning | pass, provisioning onwards not_seen
#| `fmt-merged-duplicates.pcapng` | healthy-linktypes.pcap + .sll.pcap | mergecap: every packet twice, from two interfaces (Ethernet, Linux cooked v1) | pass
#| `fmt-mixed-linktypes.pcapng` | healthy-linktypes.pcap + .sll2.pcap | editcap + mergecap: DHCP from the Ethernet capture, the rest from the Linux cooked v2 one | pass
#| `fmt-nano.pcap.gz` | healthy-linktypes.nano.pcap | gzip -n (nanosecond pcap, compressed) | pass
#| `healthy-no-dhcp.pcapng` | healthy-linktypes.pcap | editcap -F pcapng, frames 1-4 (DHCP) removed: the capture starts mid-boot | pass, DHCP stages not_seen, hostname null
#| `sip-tcp-split-segments.pcap` | sip-compact-423-407-tcp.pcap | every SIP TCP segment split in two (reframe.py splitsip) | pass
#| `nat-two-phones-one-ip.pcap` | two-phones-one-wrong-password.pcap | tcpdump -r without ARP/DHCP, tcprewrite: both phones become 203.0.113.200 with MAC 00:00:5e:00:53:aa | 203.0.113.200 (no MAC: the Via shows NAT) fail at sip-register (two SIP users, one phone)
#| `cut-after-srv-query.pcap` | healthy.pcap | editcap -r 1-51: the capture ends right after the SRV query | pass
#| `cut-after-sbc-syn.pcap` | healthy.pcap | editcap -r 1-55: ends on the first SYN to 8934 (no retransmission) | pass
#| `cut-after-sbc-clienthello.pcap` | healthy.pcap | editcap -r 1-58: ends on the ClientHello to the SBC | pass
#| `cut-after-register.pcap` | healthy.pcap | editcap -r 1-73: ends on the first REGISTER | pass
#| `start-mid-sbc-tls.pcap` | healthy.pcap | editcap -r 60-76: starts at the SBC's ServerHello | pass
#| `dhcp-nak-only.pcap` | dhcp-nak.pcap | editcap -r 1-2: INIT-REBOOT REQUEST and its NAK, nothing after | fail at dhcp
#| `ntp-unsync-phone-clock-2020-no-ntp.pcap` | ntp-unsync-phone-clock-2020.pcap | editcap 7-18: the NTP exchange removed | fail at activation
#| `ntp-unsync-phone-clock-2020-tls12-no-ntp.pcap` | ntp-unsync-phone-clock-2020-tls12.pcap | editcap 7-18: the NTP exchange removed | fail at activation
#| `cut-mid-http-profile.pcap` | opt160-http-large-profile.pcap | editcap -r 1-20: the capture ends while the 96 kB profile is still coming (16 kB of it captured) | fail at dhcp-options, local-config not_seen
set -u
LAB=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$LAB")
OUT=${PSL_OUT:-$ROOT/captures}
# shellcheck source=lib.sh
. "$LAB/lib.sh"

PASS="pass pass not_seen pass pass pass pass pass pass pass pass pass"
HEALTHY=$OUT/healthy-linktypes.pcap

need() { # files...
    local f
    for f in "$@"; do [ -s "$f" ] || die "missing $f (see the head of lab/derive.sh)"; done
}
expect_one() { # capture verdict root statuses [hidden] : one phone, :01 unless DERIVE_PHONE
    expect_reset
    expect_phone "${DERIVE_PHONE:-1}" "$2" "$3" "$4" "${5:-}"
    expect_write "$1.expected.json"
}

# frames SOURCE keep|drop RANGE VERDICT ROOT STATUSES [hostname]: editcap
# keeps (-r) or drops the frames RANGE of captures/SOURCE into $out, with
# its expectation (hostname: the cut leaves no DHCP, so none is known).
frames() {
    need "$OUT/$1"
    case $2 in
    keep) editcap -r "$OUT/$1" "$out" "$3" ;;
    *) editcap "$OUT/$1" "$out" "$3" ;;
    esac
    expect_one "$out" "$4" "$5" "$6" "${7:-}"
}

derive() { # name
    local name=$1 out=$OUT/$1 tmp
    tmp=$(mktemp -d)
    case $name in
    cut-after-srv-query.pcap)
        frames healthy.pcap keep 1-51 pass null \
            "pass pass not_seen pass pass pass pass not_seen not_seen not_seen not_seen not_seen"
        ;;
    cut-after-sbc-syn.pcap)
        frames healthy.pcap keep 1-55 pass null \
            "pass pass not_seen pass pass pass pass pass not_seen not_seen not_seen not_seen"
        ;;
    cut-after-sbc-clienthello.pcap)
        frames healthy.pcap keep 1-58 pass null \
            "pass pass not_seen pass pass pass pass pass pass not_seen not_seen not_seen"
        ;;
    cut-after-register.pcap)
        frames healthy.pcap keep 1-73 pass null \
            "pass pass not_seen pass pass pass pass pass pass pass not_seen pass"
        ;;
    start-mid-sbc-tls.pcap)
        frames healthy.pcap keep 60-76 pass null \
            "not_seen not_seen not_seen not_seen not_seen not_seen not_seen not_seen pass pass pass pass" hostname
        ;;
    dhcp-nak-only.pcap)
        frames dhcp-nak.pcap keep 1-2 fail dhcp \
            "fail not_seen not_seen not_seen not_seen not_seen not_seen not_seen not_seen not_seen not_seen not_seen"
        ;;
    ntp-unsync-phone-clock-2020-no-ntp.pcap)
        frames ntp-unsync-phone-clock-2020.pcap drop 7-18 fail activation \
            "pass pass not_seen pass fail not_seen not_seen not_seen not_seen not_seen not_seen not_seen"
        ;;
    ntp-unsync-phone-clock-2020-tls12-no-ntp.pcap)
        frames ntp-unsync-phone-clock-2020-tls12.pcap drop 7-18 fail activation \
            "pass pass not_seen pass fail not_seen not_seen not_seen not_seen not_seen not_seen not_seen"
        ;;
    cut-mid-http-profile.pcap)
        frames opt160-http-large-profile.pcap keep 1-20 fail dhcp-options \
            "pass fail not_seen not_seen not_seen not_seen
                not_seen not_seen not_seen not_seen not_seen not_seen"
        ;;
    fmt-nokia.pcap | fmt-redhat61.pcap | fmt-modpcap.pcap)
        need "$HEALTHY"
        local variant=nokiapcap
        [ "$name" = fmt-redhat61.pcap ] && variant=rh6_1pcap
        [ "$name" = fmt-modpcap.pcap ] && variant=modpcap
        editcap -F "$variant" "$HEALTHY" "$out"
        expect_one "$out" pass null "$PASS"
        ;;
    fmt-nokia-opt150-tftp.pcap)
        need "$OUT/opt150-tftp.pcap"
        editcap -F nokiapcap "$OUT/opt150-tftp.pcap" "$out"
        cp "$OUT/opt150-tftp.pcap.expected.json" "$out.expected.json"
        ;;
    fmt-bigendian.pcap)
        need "$HEALTHY"
        python3 "$LAB/reframe.py" bigendian "$HEALTHY" "$out"
        expect_one "$out" pass null "$PASS"
        ;;
    fmt-rawip.pcap)
        need "$HEALTHY"
        python3 "$LAB/reframe.py" rawip "$HEALTHY" "$out"
        expect_one "$out" pass null "$PASS"
        ;;
    fmt-comments-dsb.pcapng)
        need "$HEALTHY"
        # A key log line of the right shape; it decrypts nothing.
        printf 'CLIENT_RANDOM %064d %096d\n' 0 0 >"$tmp/keys.txt"
        editcap --inject-secrets "tls,$tmp/keys.txt" \
            --capture-comment "SPAN on access switch gi1/0/5" \
            -a "4:ACK with lease" -a "73:first REGISTER" "$HEALTHY" "$out"
        expect_one "$out" pass null "$PASS"
        ;;
    fmt-gzip.pcapng.gz)
        need "$OUT/fmt-comments-dsb.pcapng"
        gzip -n -c "$OUT/fmt-comments-dsb.pcapng" >"$out"
        expect_one "$out" pass null "$PASS"
        ;;
    fmt-gzip-cut.pcapng.gz)
        need "$OUT/fmt-gzip.pcapng.gz"
        head -c 6180 "$OUT/fmt-gzip.pcapng.gz" >"$out"
        expect_one "$out" pass null \
            "pass pass not_seen pass pass pass pass not_seen not_seen not_seen not_seen not_seen"
        ;;
    fmt-cut-midpacket.pcap)
        need "$HEALTHY"
        head -c 14760 "$HEALTHY" >"$out"
        expect_one "$out" pass null \
            "pass pass not_seen pass pass pass pass pass pass pass not_seen pass"
        ;;
    fmt-pcapng-cut-midblock.pcapng)
        need "$OUT/fmt-comments-dsb.pcapng"
        head -c 9061 "$OUT/fmt-comments-dsb.pcapng" >"$out"
        expect_one "$out" pass null \
            "pass pass not_seen pass pass pass not_seen not_seen not_seen not_seen not_seen not_seen"
        ;;
    fmt-merged-duplicates.pcapng)
        need "$HEALTHY" "${HEALTHY%.pcap}.sll.pcap"
        mergecap -F pcapng -w "$out" "$HEALTHY" "${HEALTHY%.pcap}.sll.pcap"
        expect_one "$out" pass null "$PASS"
        ;;
    fmt-mixed-linktypes.pcapng)
        need "$HEALTHY" "${HEALTHY%.pcap}.sll2.pcap"
        editcap -r "$HEALTHY" "$tmp/dhcp.pcap" 1-4
        editcap "${HEALTHY%.pcap}.sll2.pcap" "$tmp/rest.pcap" 1-4
        mergecap -F pcapng -w "$out" "$tmp/dhcp.pcap" "$tmp/rest.pcap"
        expect_one "$out" pass null "$PASS"
        ;;
    fmt-nano.pcap.gz)
        need "${HEALTHY%.pcap}.nano.pcap"
        gzip -n -c "${HEALTHY%.pcap}.nano.pcap" >"$out"
        expect_one "$out" pass null "$PASS"
        ;;
    healthy-no-dhcp.pcapng)
        need "$HEALTHY"
        editcap -F pcapng "$HEALTHY" "$out" 1-4
        expect_one "$out" pass null \
            "not_seen not_seen not_seen pass pass pass pass pass pass pass pass pass" hostname
        ;;
    sip-tcp-split-segments.pcap)
        need "$OUT/sip-compact-423-407-tcp.pcap"
        python3 "$LAB/reframe.py" splitsip "$OUT/sip-compact-423-407-tcp.pcap" "$out"
        expect_one "$out" pass null "$PASS"
        ;;
    nat-two-phones-one-ip.pcap)
        need "$OUT/two-phones-one-wrong-password.pcap"
        tcpdump -r "$OUT/two-phones-one-wrong-password.pcap" -w "$tmp/nodhcp.pcap" \
            'not arp and not (udp port 67 or udp port 68)' 2>/dev/null
        tcprewrite -i "$tmp/nodhcp.pcap" -o "$out" \
            --pnat=192.0.2.101/32:203.0.113.200/32,192.0.2.102/32:203.0.113.200/32 \
            --enet-subsmac=00:00:5e:00:53:01,00:00:5e:00:53:aa \
            --enet-subsmac=00:00:5e:00:53:02,00:00:5e:00:53:aa --fixcsum
        # The REGISTERs' Via keeps the LAN address: NAT, so MAC :aa is the
        # NAT device's and the phone is known by its address.
        EXPECT_IP=203.0.113.200 expect_one "$out" fail sip-register \
            "not_seen not_seen not_seen pass pass pass pass pass pass pass fail pass" "hostname mac"
        ;;
    *) die "no derived capture $name (see lab/derive.sh --list)" ;;
    esac
    rm -rf "$tmp"
    [ -s "$out" ] || die "$name was not written"
    log "$name: $(stat -c %s "$out") bytes"
}

derived_all() { sed -n 's/^#| `\([^`]*\)`.*/\1/p' "${BASH_SOURCE[0]}"; }

if [ "${1:-}" = --list ]; then
    derived_all
    exit 0
fi
for t in editcap mergecap gzip tcpdump tcprewrite python3; do
    command -v "$t" >/dev/null || die "$t is missing (apt-get install wireshark-common tcpdump tcpreplay python3)"
done
if [ $# -eq 0 ]; then set -- $(derived_all); fi
for d in "$@"; do derive "$d"; done
