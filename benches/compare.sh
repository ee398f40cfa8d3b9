#!/usr/bin/env bash
# Times two builds of rdptriage side by side on the benchmark inputs of benches/timing.sh and
# benches/evtx-timing.sh: for a change that must not slow anything down, the only fair
# comparison is both binaries on the same files, on the same machine, in one run, their runs
# alternating so that load and page cache weigh on both alike.
#
#   bash benches/compare.sh BASE_BIN NEW_BIN
#
# Inputs (made once into target/bench-data/ when missing, as timing.sh and evtx-timing.sh
# make them): the repository's 1100 MB capture (gen-capture, seed 1), the 1 GB capture of
# 20,000 short attempts (../shared/bench/gen_bench_pcap.py), the all-catalog event log of
# 300,000 records, the mixed one (one record in ten in the catalog) and the 42,000-record
# Security log of password guessing.
# REPEAT (default 5) runs of each command per binary; prints the median and the lowest wall
# time and the highest peak RSS of each, as a Markdown table.
set -euo pipefail
cd "$(dirname "$0")/.."
BASE=${1:?base binary}
NEW=${2:?new binary}
REPEAT=${REPEAT:-5}
DATA=target/bench-data
mkdir -p "$DATA"

CAPTURE=$DATA/bench-1100mb-seed1.pcap
if [ ! -f "$CAPTURE" ]; then
  cargo build --release -q --example gen-capture
  target/release/examples/gen-capture "$CAPTURE" --size-mb 1100 --seed 1 >/dev/null
fi
ATTEMPTS=$DATA/attempts-1g.pcap
if [ ! -f "$ATTEMPTS" ] && [ -f ../shared/bench/gen_bench_pcap.py ]; then
  python3 ../shared/bench/gen_bench_pcap.py --connections 20000 --background-mb 720 --seed 1 \
    --tls-cache ../shared/bench/tls_pool_seed1.pkl --out "$ATTEMPTS" >/dev/null
fi
write_log() { # name records env...
  local out=$DATA/$1 records=$2
  shift 2
  if [ ! -f "$out" ] || [ "$(cat "$out.records" 2>/dev/null)" != "$records" ]; then
    env EVTX_RECORDS="$records" EVTX_OUT="$(basename "$out")" "$@" \
      cargo test --release -q --test eventlog_fixtures -- --ignored write_large_evtx >/dev/null
    echo "$records" >"$out.records"
  fi
}
write_log large.evtx 300000
write_log mixed.evtx 300000 EVTX_CATALOG_EVERY=10
write_log bruteforce.evtx 42000 EVTX_FIXTURES=server-security EVTX_STEP_MS=500

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
# Warm the page cache: every run reads from memory, as timing.sh measures CPU, not the disk.
for f in "$CAPTURE" "$ATTEMPTS" "$DATA"/*.evtx; do [ -f "$f" ] && cat "$f" >/dev/null; done

# run BIN ARGS... : one run; prints "seconds max_rss_kb"
run() {
  /usr/bin/time -f "%e %M" -o "$WORK/t" "$@" >/dev/null 2>"$WORK/err" || {
    cat "$WORK/err" >&2
    exit 1
  }
  cat "$WORK/t"
}

echo "| input | command | base median s (min) | new median s (min) | base / new peak RSS MB |"
echo "|---|---|---:|---:|---:|"
measure() { # label file args...
  local label=$1 file=$2
  shift 2
  [ -f "$file" ] || return 0
  : >"$WORK/base" && : >"$WORK/new"
  for _ in $(seq "$REPEAT"); do
    run "$BASE" analyze "$@" "$file" >>"$WORK/base"
    run "$NEW" analyze "$@" "$file" >>"$WORK/new"
  done
  python3 - "$WORK/base" "$WORK/new" "$label" "$*" <<'PY'
import statistics, sys
def read(p):
    rows = [l.split() for l in open(p) if l.strip()]
    return [float(r[0]) for r in rows], [int(r[1]) for r in rows]
(bt, br), (nt, nr) = read(sys.argv[1]), read(sys.argv[2])
print(f"| {sys.argv[3]} | `analyze {sys.argv[4]}` | {statistics.median(bt):.2f} ({min(bt):.2f}) "
      f"| {statistics.median(nt):.2f} ({min(nt):.2f}) | {max(br)/1024:.0f} / {max(nr)/1024:.0f} |")
PY
}
measure "capture 1100 MB (timing.sh)" "$CAPTURE" --format json --threads 2
measure "capture 1100 MB (timing.sh)" "$CAPTURE" --format json --threads 1
measure "capture 1100 MB (timing.sh)" "$CAPTURE" --format text --threads 2
measure "20,000 attempts, 1 GB" "$ATTEMPTS" --format json --threads 2
measure "20,000 attempts, 1 GB" "$ATTEMPTS" --format json --threads 1
measure "all-catalog log, 300,000 records" "$DATA/large.evtx" --format json
measure "all-catalog log, 300,000 records" "$DATA/large.evtx" --format text
measure "mixed log, 300,000 records" "$DATA/mixed.evtx" --format json
measure "Security log, 42,000 4625s" "$DATA/bruteforce.evtx" --format json
