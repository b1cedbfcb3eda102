#!/usr/bin/env bash
# Correctness at speed: on a small generated capture (about 4 MB, pcap and
# pcapng), the per-category counts of gen.py's ground truth must equal what
# `provscope analyze --format facts` finds (bench/counts.py defines each
# count). Builds the release binary if needed. Exit 1 with the differences.
set -euo pipefail
cd "$(dirname "$0")/.."

gen=../shared/bench/gen.py
out=bench/out
bin=target/release/provscope
if [ ! -f "$gen" ]; then
  echo "counts: $gen is missing (../shared beside the checkout)" >&2
  exit 1
fi
mkdir -p "$out"
cargo build --release --quiet

status=0
for fmt in pcap pcapng; do
  cap="$out/counts-4e6.$fmt"
  truth="$out/counts-4e6.$fmt.truth.json"
  if [ ! -s "$cap" ] || [ ! -s "$truth" ]; then
    python3 "$gen" --bytes 4e6 --seed 1 --format "$fmt" --out "$cap" --truth "$truth" 2>/dev/null
  fi
  # Exit 1 only says that some phone failed a stage, which the capture means to show.
  rc=0
  "$bin" analyze "$cap" --format facts >"$out/counts-4e6.$fmt.facts" || rc=$?
  if [ "$rc" -gt 1 ]; then
    echo "counts: provscope exited $rc on $cap" >&2
    exit 1
  fi
  echo "== $cap"
  python3 bench/counts.py "$out/counts-4e6.$fmt.facts" "$truth" || status=1
done
if [ "$status" -ne 0 ]; then
  echo "counts: provscope's facts differ from the generator's truth (see MISMATCH above)" >&2
fi
exit "$status"
