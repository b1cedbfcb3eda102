#!/usr/bin/env bash
# Build every fuzz target, seed its corpus, run each for N seconds (two at a
# time) and print a table of executions and findings.
#
#   fuzz/run.sh [seconds-per-target] [target...]
#
# Seconds default to 240; targets default to all of them. Runs on stable Rust
# (no sanitizer: the crate has no unsafe code; debug assertions and overflow
# checks stay on). Corpora go to fuzz/corpus/<target>/, findings to
# fuzz/artifacts/<target>/, libFuzzer logs to fuzz/logs/<target>.log (all
# gitignored). Seeds: the captures in captures/ and ../shared (cases, corpus)
# for capture/pipeline; payloads extracted with tshark (when installed) plus a
# few hand-written messages for the decoders.
set -euo pipefail

secs=${1:-240}
shift || true
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
shared=$root/../shared
all=(dhcp dns tftp http tls sip capture pipeline)
if [ $# -gt 0 ]; then targets=("$@"); else targets=("${all[@]}"); fi
jobs=${FUZZ_JOBS:-2}

cd "$here"
cargo fuzz build --sanitizer none >/dev/null
for bindir in target/*/release; do [ -x "$bindir/dhcp" ] && break; done

# Seeds ----------------------------------------------------------------------

captures() {
    for f in "$root"/captures/*.pcap* "$shared"/cases/*/capture.* \
        "$shared"/corpus/files/*; do
        case $f in *.json) continue ;; esac
        # Small files only: the fuzzer mutates whole inputs.
        if [ -f "$f" ] && [ "$(stat -c %s "$f")" -le 65536 ]; then echo "$f"; fi
    done
}

# Decoder seeds: one tshark pass per capture; each UDP/TCP payload goes to
# the corpus of the protocol tshark names for it (at most 300 each).
payloads() {
    command -v tshark >/dev/null || return 0
    [ ! -e corpus/.seeded ] || return 0
    local f proto hex t
    captures | while read -r f; do
        tshark -r "$f" -Y 'udp.length > 8 || tcp.len > 0' -T fields -E separator=' ' \
            -e frame.protocols -e udp.payload -e tcp.payload 2>/dev/null || true
    done | sort -u | while read -r proto hex; do
        case :$proto: in
        *:dhcp:* | *:bootp:*) t=dhcp ;;
        *:dns:*) t=dns ;;
        *:tftp:*) t=tftp ;;
        *:http:*) t=http ;;
        *:tls:*) t=tls ;;
        *:sip:*) t=sip ;;
        *) continue ;;
        esac
        [ "$(find "corpus/$t" -name 'p-*' | wc -l)" -lt 300 ] || continue
        printf '%s' "$hex" | xxd -r -p >"corpus/$t/p-$(printf '%s' "$hex" | sha1sum | cut -c1-16)"
    done
    touch corpus/.seeded
}

seed() {
    local t=$1
    mkdir -p "corpus/$t"
    case $t in
    capture | pipeline)
        captures | while read -r f; do cp "$f" "corpus/$t/"; done
        ;;
    http)
        printf '%s\r\n' 'GET /cfg/SEP0000.xml HTTP/1.1' 'Host: a' \
            'User-Agent: Cisco-CP-8851-3PCC/12.0' '' >corpus/http/get
        printf 'HTTP/1.1 404 Not Found\r\nContent-Length: 3\r\n\r\nabcHTTP/1.1 200 OK\r\n\r\n' \
            >corpus/http/resp
        ;;
    sip)
        printf 'REGISTER sip:a SIP/2.0\r\nCall-ID: x\r\nCSeq: 1 REGISTER\r\nl: 2\r\n\r\nhi' \
            >corpus/sip/register
        ;;
    esac
}

maxlen() {
    case $1 in capture | pipeline) echo 65536 ;; *) echo 16384 ;; esac
}

# Run ------------------------------------------------------------------------

run_one() {
    local t=$1
    mkdir -p "artifacts/$t" logs
    "$bindir/$t" "corpus/$t" -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 \
        -max_len="$(maxlen "$t")" -artifact_prefix="artifacts/$t/" -print_final_stats=1 \
        >"logs/$t.log" 2>&1 || true
}

for t in "${all[@]}"; do mkdir -p "corpus/$t"; done
payloads
for t in "${targets[@]}"; do
    seed "$t"
    # Never an empty corpus.
    [ -n "$(ls -A "corpus/$t")" ] || printf 'x' >"corpus/$t/x"
done
running=0
for t in "${targets[@]}"; do
    if [ "$running" -ge "$jobs" ]; then
        wait -n || true
        running=$((running - 1))
    fi
    echo "fuzzing $t for ${secs}s" >&2
    run_one "$t" &
    running=$((running + 1))
done
wait || true

# Report ---------------------------------------------------------------------

echo "| target | executions | crashes | timeouts | OOMs |"
echo "| --- | ---: | ---: | ---: | ---: |"
for t in "${targets[@]}"; do
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "logs/$t.log" | grep -o '[0-9]*$' ||
        echo "?")
    crash=$(find "artifacts/$t" -name 'crash-*' | wc -l)
    slow=$(find "artifacts/$t" -name 'timeout-*' -o -name 'slow-unit-*' | wc -l)
    oom=$(find "artifacts/$t" -name 'oom-*' | wc -l)
    echo "| $t | $execs | $crash | $slow | $oom |"
done
