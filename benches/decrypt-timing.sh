#!/usr/bin/env bash
# decrypt-timing.sh - what decryption adds (issue 21), timed on the release binary:
#   1. target/bench-data/decrypt-many.pcap (benches/gen_decrypt_bench.py: the nine real
#      connections of fixtures/captures/decrypt-keylog.pcap copied 2,000 times, 18,000
#      connections, 102 MB), without secrets and with the key log that decrypts all of them;
#   2. target/bench-data/attempts-1g.pcap (../shared/bench/README.md: 20,000 TLS attempts,
#      1 GB), without secrets and with a key that matches none of its servers (every
#      connection checked against it, none decrypted).
# Median of REPEAT runs (default 5), --format json, all cores. Prints a Markdown table.
set -euo pipefail
cd "$(dirname "$0")/.."
REPEAT=${REPEAT:-5}
BIN=${BIN:-target/release/rdptriage}
[[ -x $BIN ]] || cargo build --release -q
mkdir -p target/bench-data
MANY=target/bench-data/decrypt-many.pcap
[[ -f $MANY ]] || python3 benches/gen_decrypt_bench.py 2000 "$MANY"
ATTEMPTS=target/bench-data/attempts-1g.pcap
if [[ ! -f $ATTEMPTS ]]; then
  python3 ../shared/bench/gen_bench_pcap.py --connections 20000 --background-mb 720 --seed 1 \
    --tls-cache ../shared/bench/tls_pool_seed1.pkl --out "$ATTEMPTS"
fi

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
timed() { # timed ARGS... : median seconds and peak RSS (MB) of REPEAT runs
  local t=() m=() i
  for ((i = 0; i < REPEAT; i++)); do
    /usr/bin/time -f "%e %M" -o /tmp/decrypt-timing.$$ "$BIN" analyze --format json "$@" > /dev/null
    read -r s kb < /tmp/decrypt-timing.$$
    t+=("$s"); m+=("$kb")
  done
  rm -f /tmp/decrypt-timing.$$
  printf '%s %s\n' "$(printf '%s\n' "${t[@]}" | median)" \
    "$(printf '%s\n' "${m[@]}" | median | awk '{printf "%.0f", $1/1024}')"
}

echo "| capture | secrets | connections decrypted | seconds (median of $REPEAT) | peak RSS MB |"
echo "|---|---|---|---:|---:|"
read -r s m < <(timed "$MANY")
echo "| decrypt-many.pcap (18,000 connections) | none | 0 | $s | $m |"
read -r s m < <(timed --keylog fixtures/captures/decrypt-keylog.keys "$MANY")
echo "| decrypt-many.pcap | --keylog decrypt-keylog.keys | 18,000 | $s | $m |"
read -r s m < <(timed "$ATTEMPTS")
echo "| attempts-1g.pcap (20,000 TLS attempts) | none | 0 | $s | $m |"
read -r s m < <(timed --key fixtures/keys/unrelated-server.key "$ATTEMPTS")
echo "| attempts-1g.pcap | --key unrelated-server.key | 0 (each checked) | $s | $m |"
