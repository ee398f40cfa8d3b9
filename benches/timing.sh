#!/usr/bin/env bash
# End-to-end timing of rdptriage on a large generated capture, next to the floor (a bare
# sequential walk of the file's records, and `cat`) and tshark doing the equivalent RDP/TLS
# dissection. Writes a Markdown table to benches/RESULTS.md.
#
#   benches/timing.sh                 # 1100 MB capture, seed 1
#   SIZE_MB=2000 SEED=3 REPEAT=5 benches/timing.sh
#
# Environment:
#   SIZE_MB          capture size in MB (10^6 bytes), default 1100
#   SEED             generator seed, default 1
#   REPEAT           runs of each fast measurement (the median is reported), default 3
#   TSHARK_BUDGET_S  run tshark on the whole file only if a slice predicts at most this, default 300
#   TSHARK_SLICE_MB  size of the slice tshark is first timed on, default 100
#   RESULTS          where the Markdown goes, default benches/RESULTS.md
#
# The capture is generated once into target/bench-data/ and reused while its size, seed,
# generator source and template captures are unchanged. All runs read it from a warm page
# cache (it is read once first): this measures CPU cost, not the disk.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
SIZE_MB=${SIZE_MB:-1100}
SEED=${SEED:-1}
REPEAT=${REPEAT:-3}
TSHARK_BUDGET_S=${TSHARK_BUDGET_S:-300}
TSHARK_SLICE_MB=${TSHARK_SLICE_MB:-100}
RESULTS=${RESULTS:-benches/RESULTS.md}
DATA=target/bench-data
FILE=$DATA/bench-${SIZE_MB}mb-seed${SEED}.pcap
SUMMARY=$FILE.summary
STAMP=$FILE.stamp
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

need() { command -v "$1" >/dev/null 2>&1 || { echo "timing.sh: $1 is required ($2)" >&2; exit 2; }; }
need python3 "for the arithmetic"
need tshark "apt-get install tshark"
need editcap "apt-get install tshark"
[ -x /usr/bin/time ] || { echo "timing.sh: /usr/bin/time is required (apt-get install time)" >&2; exit 2; }

echo "== build" >&2
cargo build --release --quiet --bin rdptriage --example gen-capture
GEN=target/release/examples/gen-capture
RDPT=target/release/rdptriage

mkdir -p "$DATA"
stamp_now=$( { echo "size=$SIZE_MB seed=$SEED"; sha256sum benches/gen_lib.rs fixtures/captures/tls-success.pcap \
    fixtures/captures/nla-success.pcap fixtures/captures/stdrdp-success.pcap 2>/dev/null; } | sha256sum | cut -c1-16)
if [ -f "$FILE" ] && [ -f "$SUMMARY" ] && [ "$(cat "$STAMP" 2>/dev/null)" = "$stamp_now" ]; then
    echo "== reusing $FILE" >&2
else
    echo "== generating $FILE ($SIZE_MB MB, seed $SEED)" >&2
    rm -f "$FILE" "$SUMMARY" "$STAMP"
    GEN_CMD="$GEN $FILE --size-mb $SIZE_MB --seed $SEED"
    $GEN_CMD >"$SUMMARY.tmp"
    mv "$SUMMARY.tmp" "$SUMMARY"
    echo "$stamp_now" >"$STAMP"
fi
sumval() { awk -F': ' -v k="$1" '$1 == k { print $2 }' "$SUMMARY"; }
BYTES=$(stat -c %s "$FILE")
FRAMES=$(sumval frames)
echo "== $FILE: $BYTES bytes, $FRAMES frames" >&2

# measure NAME CMD... : runs CMD (stdout to /dev/null) under /usr/bin/time -v and appends
# "NAME wall_s rss_kb" to $WORK/runs.
measure() {
    local name=$1
    shift
    /usr/bin/time -v -o "$WORK/time.txt" "$@" >/dev/null 2>"$WORK/stderr.txt" || {
        echo "timing.sh: '$*' failed:" >&2
        cat "$WORK/stderr.txt" "$WORK/time.txt" >&2
        exit 1
    }
    python3 - "$name" "$WORK/time.txt" >>"$WORK/runs" <<'EOF'
import sys
name, path = sys.argv[1], sys.argv[2]
wall = rss = None
for line in open(path):
    line = line.strip()
    if line.startswith("Elapsed (wall clock) time"):
        v = line.rsplit(": ", 1)[1]
        parts = [float(p) for p in v.split(":")]
        wall = sum(p * 60 ** i for i, p in enumerate(reversed(parts)))
    elif line.startswith("Maximum resident set size"):
        rss = int(line.rsplit(": ", 1)[1])
print(name, wall, rss)
EOF
    tail -n1 "$WORK/runs" | awk '{ printf "   %-14s %8.2f s  %8.1f MB RSS\n", $1, $2, $3 / 1024 }' >&2
}

echo "== warming the page cache" >&2
cat "$FILE" >/dev/null

CMD_CAT="cat $FILE"
CMD_WALK="$GEN --walk $FILE"
CMD_T1="$RDPT analyze --format json --threads 1 $FILE"
CMD_T2="$RDPT analyze --format json --threads 2 $FILE"
TSHARK_ARGS="-n -d tcp.port==3389,tls -T fields -e frame.number -e tcp.stream -e tcp.analysis.flags -e tls.handshake.type"

for i in $(seq "$REPEAT"); do
    echo "== round $i/$REPEAT" >&2
    measure cat $CMD_CAT
    measure walk $CMD_WALK
    measure rdptriage_t1 $CMD_T1
    measure rdptriage_t2 $CMD_T2
done

# Sanity: the analyzer finds every generated RDP connection.
$RDPT analyze --format json --threads 2 "$FILE" >"$WORK/report.json"
FOUND=$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r["inputs"][0]["stats"]["rdp_connections"], len(r["connections"]))' "$WORK/report.json")
EXPECTED=$(sumval rdp_connections)
echo "== RDP connections: generated $EXPECTED, rdptriage stats/report: $FOUND" >&2

# tshark: a slice first, the whole file when the slice says it fits the budget.
SLICE_FRAMES=$(python3 -c "print(max(1000, int($FRAMES * $TSHARK_SLICE_MB * 1e6 / $BYTES)))")
SLICE=$DATA/tshark-slice.pcap
editcap -r "$FILE" "$SLICE" "1-$SLICE_FRAMES" 2>/dev/null
SLICE_BYTES=$(stat -c %s "$SLICE")
echo "== tshark on the first $SLICE_FRAMES frames ($SLICE_BYTES bytes)" >&2
measure tshark_slice tshark -r "$SLICE" $TSHARK_ARGS
SLICE_S=$(awk '$1 == "tshark_slice" { print $2 }' "$WORK/runs" | tail -n1)
PREDICT=$(python3 -c "print(round($SLICE_S * $BYTES / $SLICE_BYTES))")
TSHARK_MODE=slice
if [ "$PREDICT" -le "$TSHARK_BUDGET_S" ]; then
    echo "== tshark on the whole file (predicted ${PREDICT} s)" >&2
    measure tshark_full tshark -r "$FILE" $TSHARK_ARGS
    TSHARK_MODE=full
else
    echo "== tshark on the whole file would take about ${PREDICT} s: extrapolating from the slice" >&2
fi
rm -f "$SLICE"

CPU=$(lscpu | awk -F: '/Model name/ { gsub(/^ +/, "", $2); print $2; exit }')
MEM=$(awk '/MemTotal/ { printf "%.1f GB", $2 / 1048576 }' /proc/meminfo)
COMMIT=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
DIRTY=$(git status --porcelain 2>/dev/null | grep -q . && echo " (with uncommitted changes)" || true)

python3 - "$WORK/runs" "$RESULTS" <<EOF
import statistics, sys
runs = {}
for line in open(sys.argv[1]):
    n, w, r = line.split()
    runs.setdefault(n, []).append((float(w), int(r)))
def med(n):
    ws = [w for w, _ in runs[n]]
    return statistics.median(ws), max(r for _, r in runs[n]) / 1024
B = $BYTES
slice_bytes = $SLICE_BYTES
mode = "$TSHARK_MODE"
rows = []
def row(label, cmd, wall, rss, nbytes, note=""):
    rows.append(dict(label=label, cmd=cmd, wall=wall, rss=rss, mbs=nbytes / 1e6 / wall,
                     spg=wall / (nbytes / 1e9), note=note))
w, r = med("cat"); row("cat (page cache)", "$CMD_CAT", w, r, B)
w, r = med("walk"); row("floor: record walk", "$CMD_WALK", w, r, B)
w, r = med("rdptriage_t1"); row("rdptriage, 1 thread", "$CMD_T1 > /dev/null", w, r, B)
w, r = med("rdptriage_t2"); row("rdptriage, 2 threads", "$CMD_T2 > /dev/null", w, r, B)
if mode == "full":
    w, r = med("tshark_full")
    row("tshark", "tshark -r $FILE $TSHARK_ARGS > /dev/null", w, r, B)
else:
    w, r = med("tshark_slice")
    row("tshark (first %.0f MB, extrapolated)" % (slice_bytes / 1e6),
        "tshark -r SLICE $TSHARK_ARGS > /dev/null", w, r, slice_bytes,
        "RSS is the slice's; tshark keeps per-frame state, so the whole file needs more")
ts = [x for x in rows if x["label"].startswith("tshark")][0]
floor = rows[1]
t1, t2 = rows[2], rows[3]
out = []
out.append("# rdptriage timing\n")
out.append("Generated by \`benches/timing.sh\`; do not edit by hand.\n")
out.append("- Machine: $(nproc) CPUs (nproc), $CPU, $MEM RAM, Linux $(uname -r)")
out.append("- $(rustc -V), $(tshark --version 2>/dev/null | head -n1)")
out.append("- rdptriage commit $COMMIT$DIRTY, $(date -u +%Y-%m-%dT%H:%MZ)")
out.append("- Capture: \`$FILE\` — %.1f MB, $FRAMES frames, generated by \`$GEN $FILE --size-mb $SIZE_MB --seed $SEED\`" % (B / 1e6))
out.append("  ($(sumval rdp_connections) RDP connections: $(sumval rdp_success) successful replays, $(sumval rdp_refused) refused, "
           "$(sumval rdp_unanswered) unanswered, $(sumval rdp_reset_mid_handshake) reset mid-handshake, $(sumval rdp_lossy) lossy; "
           "$(sumval bulk_flows) bulk flows with %.0f%% of the frame bytes; $(sumval duration_s) s of traffic)"
           % (100 * $(sumval bulk_frame_bytes) / $(sumval frame_bytes)))
out.append("- Page cache warm (the file is read once before timing); median of $REPEAT runs except tshark (1 run);"
           " MB = 10^6 bytes, GB = 10^9 bytes; wall time and peak RSS from \`/usr/bin/time -v\`.")
out.append("- rdptriage found $FOUND (stats, report) RDP connections; the generator made $EXPECTED.\n")
out.append("| What | Wall s | MB/s | s/GB | Peak RSS MB | Speedup vs tshark | Time ÷ floor |")
out.append("|---|---:|---:|---:|---:|---:|---:|")
for x in rows:
    out.append("| %s | %.2f | %.0f | %.2f | %.0f | %.1f× | %.2f |" % (
        x["label"], x["wall"], x["mbs"], x["spg"], x["rss"], ts["spg"] / x["spg"],
        x["spg"] / floor["spg"]))
out.append("")
sp = t1["wall"] / t2["wall"]
def verdict(ok): return "PASS" if ok else "**FAIL**"
out.append("| Target | Measured | |")
out.append("|---|---:|---|")
out.append("| ≥ 50× tshark throughput (2 threads) | %.1f× | %s |" % (ts["spg"] / t2["spg"], verdict(ts["spg"] / t2["spg"] >= 50)))
out.append("| ≥ 50× tshark throughput (1 thread) | %.1f× | %s |" % (ts["spg"] / t1["spg"], verdict(ts["spg"] / t1["spg"] >= 50)))
out.append("| within 5× of the record-walk floor (2 threads) | %.2f× | %s |" % (t2["spg"] / floor["spg"], verdict(t2["spg"] / floor["spg"] <= 5)))
out.append("| within 5× of the record-walk floor (1 thread) | %.2f× | %s |" % (t1["spg"] / floor["spg"], verdict(t1["spg"] / floor["spg"] <= 5)))
out.append("| ≥ 1.6× speedup, 2 threads vs 1 | %.2f× | %s |" % (sp, verdict(sp >= 1.6)))
out.append("| peak RSS ≤ 300 MB | %.0f MB | %s |" % (max(t1["rss"], t2["rss"]), verdict(max(t1["rss"], t2["rss"]) <= 300)))
out.append("")
out.append("Commands (exact):\n")
out.append("\`\`\`")
for x in rows:
    out.append(x["cmd"])
if mode != "full":
    out.append("# SLICE = editcap -r $FILE SLICE 1-$SLICE_FRAMES   (the first $SLICE_FRAMES frames)")
out.append("\`\`\`")
out.append("")
out.append("tshark 4.0 keeps TLS on 3389 as TPKT continuation data after the X.224 exchange, so"
           " \`-d tcp.port==3389,tls\` is what makes it dissect the TLS handshakes (with TCP sequence"
           " analysis and reassembly on, as by default); every frame is dissected and a few fields are printed.")
if mode != "full":
    out.append("tshark was timed on the first %.0f MB only (the whole file was predicted to take more than"
               " $TSHARK_BUDGET_S s) and its s/GB applied to the whole file." % (slice_bytes / 1e6))
notes = [x for x in rows if x["note"]]
for x in notes:
    out.append("%s: %s." % (x["label"], x["note"]))
text = "\n".join(out) + "\n"
open(sys.argv[2], "w").write(text)
print(text)
EOF
echo "== wrote $RESULTS" >&2
