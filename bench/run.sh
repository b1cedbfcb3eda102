#!/usr/bin/env bash
# The benchmark of the README's "Performance" section, in one command:
#
#   bench/run.sh            # RUNS=5 rounds per measure (RUNS=3 is quicker)
#
# Generates the captures with ../shared/bench/gen.py into bench/out/ (kept and
# reused: 1 GB pcap and pcapng, their gzip -1, 100 MB pcap, a directory of 20
# captures of 50 MB), builds the release binary, then measures with
# /usr/bin/time -v, page cache warm: cat against `provscope analyze` on 1 GB,
# peak memory (also on the gzip), tshark against provscope on 100 MB, `scan`
# with --jobs 1 and 2 (and that their output is the same), and the counts of
# the facts against gen.py's truth on the 1 GB captures. Prints a table and
# exits 1 if a target is missed. About 3 minutes once the captures exist.
set -euo pipefail
cd "$(dirname "$0")/.."

runs=${RUNS:-5}
gen=../shared/bench/gen.py
out=bench/out
if [ ! -f "$gen" ]; then
  echo "bench: $gen is missing (../shared beside the checkout)" >&2
  exit 1
fi

# Tools: tshark for the comparison, GNU time for peak memory.
need=()
command -v tshark >/dev/null || need+=(tshark)
[ -x /usr/bin/time ] || need+=(time)
command -v gzip >/dev/null || need+=(gzip)
if [ ${#need[@]} -gt 0 ]; then
  echo "bench: installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need[@]}" >/dev/null
fi

cargo build --release --quiet

# Captures (reused when present). Same seed: pcap and pcapng hold the same packets.
mkdir -p "$out/scan" "$out/scan-truth"
make_capture() { # bytes format file [seed [truth]]
  local truth=${5:-$3.truth.json}
  if [ ! -s "$3" ] || [ ! -s "$truth" ]; then
    echo "bench: generating $3"
    python3 "$gen" --bytes "$1" --seed "${4:-1}" --format "$2" --out "$3" \
      --truth "$truth" 2>/dev/null
  fi
}
make_capture 1e9 pcap "$out/cap-1G.pcap"
make_capture 1e9 pcapng "$out/cap-1G.pcapng"
make_capture 1e8 pcap "$out/cap-100M.pcap"
if [ ! -s "$out/cap-1G.pcap.gz" ]; then
  echo "bench: compressing $out/cap-1G.pcap (gzip -1)"
  gzip -1 -c "$out/cap-1G.pcap" >"$out/cap-1G.pcap.gz.tmp"
  mv "$out/cap-1G.pcap.gz.tmp" "$out/cap-1G.pcap.gz"
fi
for i in $(seq -w 1 20); do
  fmt=pcap
  [ $((10#$i % 2)) -eq 0 ] && fmt=pcapng
  make_capture 5e7 "$fmt" "$out/scan/cap-$i.$fmt" "$((100 + 10#$i))" \
    "$out/scan-truth/cap-$i.$fmt.json"
done

# Machine, then the measures.
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)," \
  "$(free -g | awk '/Mem:/ {print $2}') GiB RAM, $(uname -sr)"
echo "provscope: $(git rev-parse --short HEAD 2>/dev/null || echo '?'), rounds per measure: $runs"
exec python3 bench/bench.py "$out" "$runs"
