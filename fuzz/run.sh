#!/usr/bin/env bash
# Runs every fuzz target (or the ones named) for SECONDS each, one after the other, under
# `nice -n 19` and on one rayon thread (the machine is shared), with libFuzzer's limits
# -rss_limit_mb=2048 -timeout=10, and prints a table: target, runs, seconds, result.
#
#   fuzz/run.sh [SECONDS] [TARGET...]      # default 600 s each, every target
#
# Seeds come from fuzz/seed.py (regenerated from fixtures/ on every run, added to what the
# corpus already holds). Crashes, hangs and out-of-memory inputs land in
# fuzz/artifacts/<target>/; logs in fuzz/logs/<target>.log; one line per run is appended to
# fuzz/logs/runs.tsv (date, target, seconds, runs, result) for fuzz/RESULTS.md.
#
# Needs cargo-fuzz (`cargo install cargo-fuzz`). On a stable toolchain the sanitizer flags
# cargo-fuzz passes need RUSTC_BOOTSTRAP=1, which this script sets. NO_BUILD=1 skips the
# build (the binaries from the last build are run).
set -u
cd "$(dirname "$0")"
SECONDS_EACH=${1:-600}
shift || true
ALL=(capture decode tcp x224 tls credssp decrypt mcs side evtx eventlog_xml archive pipeline)
if [ $# -gt 0 ]; then TARGETS=("$@"); else TARGETS=("${ALL[@]}"); fi

python3 seed.py .. >/dev/null || { echo "seeding failed" >&2; exit 2; }
if [ "${NO_BUILD:-0}" != 1 ]; then
    # The working tree may be mid-edit by someone else: retry the build a few times.
    for attempt in 1 2 3 4 5; do
        if RUSTC_BOOTSTRAP=1 nice -n 19 cargo fuzz build -O >logs.build 2>&1; then
            break
        fi
        if [ $attempt = 5 ]; then cat logs.build >&2; echo "build failed" >&2; exit 2; fi
        sleep 60
    done
    rm -f logs.build
fi
BIN=target/x86_64-unknown-linux-gnu/release
mkdir -p logs
status=0
rows=()
for t in "${TARGETS[@]}"; do
    mkdir -p "corpus/$t" "artifacts/$t"
    log="logs/$t.log"
    start=$(date +%s)
    RAYON_NUM_THREADS=1 nice -n 19 "$BIN/$t" "corpus/$t" \
        -max_total_time="$SECONDS_EACH" -rss_limit_mb=2048 -timeout=10 \
        -artifact_prefix="artifacts/$t/" -print_final_stats=1 >"$log" 2>&1
    rc=$?
    took=$(($(date +%s) - start))
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    runs=${runs:-$(grep -o '^#[0-9]*' "$log" | tail -1 | tr -d '#')}
    if [ $rc = 0 ]; then
        result=ok
    elif grep -q 'out-of-memory' "$log"; then
        result=OOM
    elif grep -q -e 'ALARM: working on the last Unit' -e 'libFuzzer: timeout' "$log"; then
        result=TIMEOUT
    else
        result=CRASH
    fi
    [ $result = ok ] || status=1
    printf '%s\t%s\t%s\t%s\t%s\n' "$(date -u +%FT%TZ)" "$t" "$took" "${runs:-0}" "$result" >>logs/runs.tsv
    rows+=("$(printf '%-14s %12s %8s  %s' "$t" "${runs:-0}" "$took" "$result")")
    echo "${rows[-1]}" >&2
done
printf '%-14s %12s %8s  %s\n' target runs seconds result
printf '%s\n' "${rows[@]}"
exit $status
