#!/usr/bin/env bash
# Times rdptriage reading Windows event logs beside `evtx_dump -o jsonl` (the evtx crate's own
# dumper) on the same files: the largest .evtx of ../shared/corpus and three generated ones
# (the RdpCoreTS and Security fixture events repeated, written by the test-only writer of
# tests/evtx_writer): 150 MB of catalog events only (and the same at 2,000,000 records, 1 GB),
# 150 MB with one record in ten a catalog event, a 20 MB Security log of 4625s only, and a
# 280 MB one of 600,000 failed logons (password guessing). Prints a Markdown table and writes
# it to benches/EVTX-RESULTS.md, with the headline and first finding of each report.
#
#   bash benches/evtx-timing.sh            # EVTX_RECORDS=300000 by default (about 150 MB)
#
# Every command's stdout goes through a pipe into `wc -l`, so each one really writes all its
# output (evtx_dump renders every record; rdptriage writes its whole report). A command that
# fails (non-zero exit, or a line count other than the one expected) is reported as failed,
# never timed: a dumper that stops at once must not look fast.
set -euo pipefail
cd "$(dirname "$0")/.."
RECORDS=${EVTX_RECORDS:-300000}
DATA=target/bench-data
LARGE=$DATA/large.evtx
DUMP=${EVTX_DUMP:-$(command -v evtx_dump || true)}
if [ -z "$DUMP" ]; then
  DUMP=target/evtx-dump/bin/evtx_dump
  [ -x "$DUMP" ] || cargo install evtx --version 0.15.1 --root target/evtx-dump
fi
"$DUMP" --version >/dev/null
cargo build --release -q
if [ ! -f "$LARGE" ] || [ "$(cat "$LARGE.records" 2>/dev/null)" != "$RECORDS" ]; then
  EVTX_RECORDS=$RECORDS cargo test --release -q --test eventlog_fixtures -- --ignored write_large_evtx >/dev/null
  echo "$RECORDS" > "$LARGE.records"
fi
# The same size where only one record in ten is a catalog event (the rest 4688, as in a real
# Security log): what skipping records outside the catalog buys.
MIXED=$DATA/mixed.evtx
if [ ! -f "$MIXED" ] || [ "$(cat "$MIXED.records" 2>/dev/null)" != "$RECORDS" ]; then
  EVTX_RECORDS=$RECORDS EVTX_CATALOG_EVERY=10 EVTX_OUT=mixed.evtx \
    cargo test --release -q --test eventlog_fixtures -- --ignored write_large_evtx >/dev/null
  echo "$RECORDS" > "$MIXED.records"
fi
# A Security log of the default size (20 MB) filled by password guessing: every record a 4625
# (the Security fixture's two), logged every half second in time order. A real log's worst
# case: every record is a catalog event.
BRUTE=$DATA/bruteforce.evtx
BRUTE_RECORDS=42000
if [ ! -f "$BRUTE" ] || [ "$(cat "$BRUTE.records" 2>/dev/null)" != "$BRUTE_RECORDS" ]; then
  EVTX_RECORDS=$BRUTE_RECORDS EVTX_FIXTURES=server-security EVTX_STEP_MS=500 EVTX_OUT=bruteforce.evtx \
    cargo test --release -q --test eventlog_fixtures -- --ignored write_large_evtx >/dev/null
  echo "$BRUTE_RECORDS" > "$BRUTE.records"
fi
# The same all-catalog log at 2,000,000 records (about 1 GB): the bound on memory whatever
# the log's size (`EVTX_LARGE_RECORDS`, 0 to skip).
LARGE2=$DATA/large-2m.evtx
LARGE2_RECORDS=${EVTX_LARGE_RECORDS:-2000000}
if [ "$LARGE2_RECORDS" != 0 ] && { [ ! -f "$LARGE2" ] || [ "$(cat "$LARGE2.records" 2>/dev/null)" != "$LARGE2_RECORDS" ]; }; then
  EVTX_RECORDS=$LARGE2_RECORDS EVTX_OUT=large-2m.evtx \
    cargo test --release -q --test eventlog_fixtures -- --ignored write_large_evtx >/dev/null
  echo "$LARGE2_RECORDS" > "$LARGE2.records"
fi
# An internet-facing server's Security log under password guessing: 600,000 failed network
# logons, 20 a second for 8 h 20 min (`server-security-guessing` repeated: 120 accounts and
# workstation names in turn), three times what a log keeps as events.
GUESS=$DATA/guessing-600k.evtx
GUESS_RECORDS=600000
if [ ! -f "$GUESS" ] || [ "$(cat "$GUESS.records" 2>/dev/null)" != "$GUESS_RECORDS" ]; then
  EVTX_RECORDS=$GUESS_RECORDS EVTX_FIXTURES=server-security-guessing EVTX_STEP_MS=50 EVTX_OUT=guessing-600k.evtx \
    cargo test --release -q --test eventlog_fixtures -- --ignored write_large_evtx >/dev/null
  echo "$GUESS_RECORDS" > "$GUESS.records"
fi
CORPUS=$(ls -S ../shared/corpus/evtx/*/*.evtx 2>/dev/null | head -1 || true)

# measure LABEL EXPECTED_LINES COMMAND...: best of 3 (wall seconds, user+sys CPU seconds, peak
# RSS of the command itself). EXPECTED_LINES empty: any line count will do.
measure() {
  local label=$1 expect=$2; shift 2
  local best="" cpu="" rss="" tmp lines rc
  tmp=$(mktemp)
  for _ in 1 2 3; do
    rc=0
    lines=$(/usr/bin/time -o "$tmp" -f "%e %U %S %M" "$@" 2>/dev/null | wc -l) || true
    # `time` writes "Command exited with non-zero status N" before its line when the command fails.
    if grep -q "non-zero status" "$tmp"; then
      rc=$(grep -o "status [0-9]*" "$tmp" | cut -d' ' -f2)
    fi
    if [ "$rc" != 0 ] || { [ -n "$expect" ] && [ "$lines" != "$expect" ]; }; then
      printf '| %s | failed (exit %s, %s lines) | | |\n' "$label" "$rc" "$lines"
      rm -f "$tmp"
      return
    fi
    read -r t u s m < <(tail -1 "$tmp")
    if [ -z "$best" ] || awk "BEGIN{exit !($t < $best)}"; then
      best=$t; rss=$m; cpu=$(awk "BEGIN{printf \"%.2f\", $u + $s}")
    fi
  done
  rm -f "$tmp"
  printf '| %s | %s | %s | %s |\n' "$label" "$best" "$cpu" "$((rss / 1024))"
}
{
  echo "# Event log timing"
  echo
  echo "Generated by \`benches/evtx-timing.sh\`; $(nproc) CPUs, $(date -u +%Y-%m-%dT%H:%MZ), load at start $(cut -d' ' -f1-3 /proc/loadavg), rdptriage $(git rev-parse --short HEAD)."
  echo "Best of 3 runs, warm page cache; each command's stdout piped into \`wc -l\`, so all its output is really written."
  echo "rdptriage decodes catalog events fully (fields, decoded codes, summaries, timelines) and writes its report;"
  echo "evtx_dump renders every record to JSON. \`--threads 1\`/\`-t 1\`: one worker thread; otherwise all cores."
  echo
  for f in "$LARGE" "$LARGE2" "$MIXED" "$BRUTE" "$GUESS" $CORPUS; do
    [ -f "$f" ] || continue
    cat "$f" >/dev/null
    records=$("$DUMP" -o jsonl "$f" 2>/dev/null | wc -l)
    echo "### $(basename "$f") ($(( $(stat -c %s "$f") / 1000000 )) MB, $records records)"
    echo
    echo "| command | wall s | CPU s | peak RSS MB |"
    echo "|---|---:|---:|---:|"
    measure "\`evtx_dump -o jsonl\`" "$records" "$DUMP" -o jsonl "$f"
    measure "\`evtx_dump -o jsonl -t 1\`" "$records" "$DUMP" -o jsonl -t 1 "$f"
    measure "\`rdptriage analyze --format json\`" "" target/release/rdptriage analyze --format json "$f"
    measure "\`rdptriage analyze --format json --threads 1\`" "" target/release/rdptriage analyze --format json --threads 1 "$f"
    measure "\`rdptriage analyze --format jsonl\`" "" target/release/rdptriage analyze --format jsonl "$f"
    measure "\`rdptriage analyze --format text\`" "" target/release/rdptriage analyze --format text "$f"
    echo
    # What the report says of the log: the headline and its first finding's first words.
    target/release/rdptriage analyze --format text "$f" 2>/dev/null | sed -n '1p;/^1\. /{s/^\(.\{0,300\}\).*/\1…/;p;q}' | sed 's/^/    /'
    echo
  done
  echo "Load at the end: $(cut -d' ' -f1-3 /proc/loadavg)."
} | tee benches/EVTX-RESULTS.md
