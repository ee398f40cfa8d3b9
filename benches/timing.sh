#!/usr/bin/env bash
# End-to-end timing of rdptriage on a large generated capture, next to the floor (a bare
# sequential walk of the file's records, and `cat`), the library's own stages on one thread
# (framing, decoding, TCP tracking), and tshark doing the equivalent RDP/TLS dissection.
# Prints a Markdown table and writes it to benches/RESULTS.md.
#
#   benches/timing.sh                 # 1100 MB capture, seed 1
#   SIZE_MB=2000 SEED=3 REPEAT=5 benches/timing.sh
#
# Environment:
#   SIZE_MB          capture size in MB (10^6 bytes), default 1100
#   SEED             generator seed, default 1
#   REPEAT           runs of each fast measurement (median reported, min shown), default 5
#   TSHARK_BUDGET_S  run tshark on the whole file only if a slice predicts at most this, default 300
#   TSHARK_SLICE_MB  size of the slice tshark is first timed on, default 100
#   QUIET_LOAD       wait (up to QUIET_WAIT_S, default 600) for the 1-minute load average to
#                    drop below this before timing, default 1.0 (0 = do not wait)
#   RSS_STRESS       1 (default) also runs rdptriage on captures with more RDP connections (the
#                    same size with --rdp-scale 400 and 3000: 4x and about 8x as many; twice the
#                    size with --rdp-scale 3000: about 16x), on one four times the size, to
#                    see whether peak RSS depends on either, and on two made to press on the
#                    connection tables: thousands of RDP connections open at once, and a SYN
#                    flood of 2,000,000 spoofed SYNs (gen-capture --syn-flood)
#   RESULTS          where the Markdown goes, default benches/RESULTS.md
#
# Captures are generated into target/bench-data/ and reused while their size, seed, generator
# source and template captures are unchanged. All runs read from a warm page cache (each file
# is read once first): this measures CPU cost, not the disk.
set -euo pipefail

cd "$(dirname "$0")/.."
SIZE_MB=${SIZE_MB:-1100}
SEED=${SEED:-1}
REPEAT=${REPEAT:-5}
TSHARK_BUDGET_S=${TSHARK_BUDGET_S:-300}
TSHARK_SLICE_MB=${TSHARK_SLICE_MB:-100}
QUIET_LOAD=${QUIET_LOAD:-1.0}
QUIET_WAIT_S=${QUIET_WAIT_S:-600}
RSS_STRESS=${RSS_STRESS:-1}
RESULTS=${RESULTS:-benches/RESULTS.md}
DATA=target/bench-data
FILE=$DATA/bench-${SIZE_MB}mb-seed${SEED}.pcap
HEAVY=$DATA/bench-${SIZE_MB}mb-seed${SEED}-rdp400.pcap
HEAVIER=$DATA/bench-${SIZE_MB}mb-seed${SEED}-rdp3000.pcap
HEAVIEST=$DATA/bench-$((SIZE_MB * 2))mb-seed${SEED}-rdp3000.pcap
BIGGER=$DATA/bench-$((SIZE_MB * 4))mb-seed${SEED}.pcap
# Many connections open at once (61,456 RDP connections in 15 s) and a SYN flood (2,000,000
# spoofed SYNs at 10,000 a second): the cases that press on the connection tables.
CONCURRENT=$DATA/concurrent-600mb-seed3-rdp6000.pcap
FLOOD=$DATA/synflood-2m.pcap
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

# generate FILE EXTRA_ARGS... : (re)generates FILE unless an identical one exists.
generate() {
    local file=$1
    shift
    local stamp
    stamp=$( { echo "size=$SIZE_MB seed=$SEED $*"; sha256sum benches/gen_lib.rs fixtures/captures/tls-success.pcap \
        fixtures/captures/nla-success.pcap fixtures/captures/stdrdp-success.pcap 2>/dev/null; } | sha256sum | cut -c1-16)
    if [ -f "$file" ] && [ -f "$file.summary" ] && [ "$(cat "$file.stamp" 2>/dev/null)" = "$stamp" ]; then
        echo "== reusing $file" >&2
    else
        echo "== generating $file ($SIZE_MB MB, seed $SEED $*)" >&2
        rm -f "$file" "$file.summary" "$file.stamp"
        "$GEN" "$file" --size-mb "$SIZE_MB" --seed "$SEED" "$@" >"$file.summary.tmp"
        mv "$file.summary.tmp" "$file.summary"
        echo "$stamp" >"$file.stamp"
    fi
}
mkdir -p "$DATA"
generate "$FILE"
if [ "$RSS_STRESS" = 1 ]; then
    generate "$HEAVY" --rdp-scale 400
    generate "$HEAVIER" --rdp-scale 3000
    generate "$HEAVIEST" --size-mb $((SIZE_MB * 2)) --rdp-scale 3000
    generate "$BIGGER" --size-mb $((SIZE_MB * 4))
    generate "$CONCURRENT" --size-mb 600 --seed 3 --rdp-scale 6000 --duration-s 30
    generate "$FLOOD" --syn-flood 2000000
fi
sumval() { awk -F': ' -v k="$2" '$1 == k { print $2 }' "$1.summary"; }
BYTES=$(stat -c %s "$FILE")
FRAMES=$(sumval "$FILE" frames)
echo "== $FILE: $BYTES bytes, $FRAMES frames" >&2

load1() { cut -d' ' -f1 /proc/loadavg; }
if python3 -c "import sys; sys.exit(0 if float('$QUIET_LOAD') > 0 else 1)"; then
    waited=0
    while python3 -c "import sys; sys.exit(0 if float('$(load1)') >= float('$QUIET_LOAD') else 1)" \
        && [ "$waited" -lt "$QUIET_WAIT_S" ]; do
        [ "$waited" = 0 ] && echo "== waiting for the load average ($(load1)) to drop below $QUIET_LOAD" >&2
        sleep 10
        waited=$((waited + 10))
    done
fi
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)

# measure NAME CMD... : runs CMD (stdout to /dev/null) under /usr/bin/time -v and appends
# "NAME wall_s cpu_s rss_kb" to $WORK/runs.
measure() {
    local name=$1 t0 t1
    shift
    t0=$(date +%s%N)
    /usr/bin/time -v -o "$WORK/time.txt" "$@" >/dev/null 2>"$WORK/stderr.txt" || {
        echo "timing.sh: '$*' failed:" >&2
        cat "$WORK/stderr.txt" "$WORK/time.txt" >&2
        exit 1
    }
    t1=$(date +%s%N)
    python3 - "$name" "$WORK/time.txt" "$t0" "$t1" >>"$WORK/runs" <<'EOF'
import sys
name, path = sys.argv[1], sys.argv[2]
# Wall time from the clock around the command (time -v only has 10 ms resolution).
wall = (int(sys.argv[4]) - int(sys.argv[3])) / 1e9
rss = None
cpu = 0.0
for line in open(path):
    line = line.strip()
    key, _, v = line.rpartition(": ")
    if key in ("User time (seconds)", "System time (seconds)"):
        cpu += float(v)
    elif key == "Maximum resident set size (kbytes)":
        rss = int(v)
print(name, wall, cpu, rss)
EOF
    tail -n1 "$WORK/runs" | awk '{ printf "   %-14s %8.3f s wall %8.2f s cpu %8.1f MB RSS\n", $1, $2, $3, $4 / 1024 }' >&2
}

echo "== warming the page cache" >&2
cat "$FILE" >/dev/null

CMD_CAT="cat $FILE"
CMD_WALK="$GEN --walk $FILE"
CMD_FRAME="$GEN --stage frame $FILE"
CMD_DECODE="$GEN --stage decode $FILE"
CMD_TRACK="$GEN --stage track $FILE"
CMD_T1="$RDPT analyze --format json --threads 1 $FILE"
CMD_T2="$RDPT analyze --format json --threads 2 $FILE"
TSHARK_ARGS="-n -d tcp.port==3389,tls -T fields -e frame.number -e tcp.stream -e tcp.analysis.flags -e tls.handshake.type"

for i in $(seq "$REPEAT"); do
    echo "== round $i/$REPEAT (load $(load1))" >&2
    measure cat $CMD_CAT
    measure walk $CMD_WALK
    measure frame $CMD_FRAME
    measure decode $CMD_DECODE
    measure track $CMD_TRACK
    measure rdptriage_t1 $CMD_T1
    measure rdptriage_t2 $CMD_T2
done

# Sanity: the analyzer finds every generated RDP connection.
$RDPT analyze --format json --threads 2 "$FILE" >"$WORK/report.json"
FOUND=$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r["inputs"][0]["stats"]["rdp_connections"], len(r["connections"]))' "$WORK/report.json")
JSON_MB=$(python3 -c "import os; print(round(os.path.getsize('$WORK/report.json') / 1e6, 1))")
rm -f "$WORK/report.json"
EXPECTED=$(sumval "$FILE" rdp_connections)
echo "== RDP connections: generated $EXPECTED, rdptriage stats/report: $FOUND" >&2

# Memory against connections and size: name, file, how it was made.
STRESS_LINES=""
stress() {
    local name=$1 file=$2 how=$3
    cat "$file" >/dev/null
    echo "== RSS stress $name: $file" >&2
    measure "$name" "$RDPT" analyze --format json --threads 2 "$file"
    STRESS_LINES="$STRESS_LINES$name|$file|$how|$(sumval "$file" rdp_connections)|$(stat -c %s "$file");"
}
if [ "$RSS_STRESS" = 1 ]; then
    stress stress_rdp400 "$HEAVY" "--rdp-scale 400"
    stress stress_rdp3000 "$HEAVIER" "--rdp-scale 3000"
    stress stress_rdp3000_2x "$HEAVIEST" "--size-mb $((SIZE_MB * 2)) --rdp-scale 3000"
    stress stress_big "$BIGGER" "--size-mb $((SIZE_MB * 4))"
    stress stress_concurrent "$CONCURRENT" "--size-mb 600 --seed 3 --rdp-scale 6000 --duration-s 30"
    stress stress_syn_flood "$FLOOD" "--syn-flood 2000000"
fi

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
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)

CPU=$(lscpu | awk -F: '/Model name/ { gsub(/^ +/, "", $2); print $2; exit }')
MEM=$(awk '/MemTotal/ { printf "%.1f GB", $2 / 1048576 }' /proc/meminfo)
COMMIT=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
DIRTY=$(git status --porcelain -- src Cargo.toml Cargo.lock 2>/dev/null | grep -q . && echo " (with uncommitted changes under src/)" || true)

export RUNS="$WORK/runs" OUT="$RESULTS" BYTES SLICE_BYTES TSHARK_MODE REPEAT FILE HEAVY FRAMES GEN SIZE_MB SEED \
    CMD_CAT CMD_WALK CMD_FRAME CMD_DECODE CMD_TRACK CMD_T1 CMD_T2 TSHARK_ARGS TSHARK_BUDGET_S SLICE_FRAMES \
    FOUND EXPECTED JSON_MB STRESS_LINES LOAD_START LOAD_END CPU MEM COMMIT DIRTY
export NPROC=$(nproc) KERNEL=$(uname -r) RUSTC="$(rustc -V)" TSHARK_V="$(tshark --version 2>/dev/null | head -n1)"
export DATE=$(date -u +%Y-%m-%dT%H:%MZ)
export MIX="$(sumval "$FILE" rdp_connections) RDP connections ($(sumval "$FILE" rdp_success) successful replays, \
$(sumval "$FILE" rdp_refused) refused, $(sumval "$FILE" rdp_unanswered) unanswered, \
$(sumval "$FILE" rdp_reset_mid_handshake) reset mid-handshake, $(sumval "$FILE" rdp_lossy) lossy), \
$(sumval "$FILE" bulk_flows) bulk flows, $(sumval "$FILE" dns_exchanges) DNS exchanges, $(sumval "$FILE" duration_s) s of traffic"
export BULK_PCT=$(python3 -c "print(round(100 * $(sumval "$FILE" bulk_frame_bytes) / $(sumval "$FILE" frame_bytes)))")

python3 - <<'EOF'
import os, statistics
E = os.environ
runs = {}
for line in open(E["RUNS"]):
    n, w, c, r = line.split()
    runs.setdefault(n, []).append((float(w), float(c), int(r)))
B = int(E["BYTES"])
slice_bytes = int(E["SLICE_BYTES"])
mode = E["TSHARK_MODE"]
rows = []
def row(key, label, cmd, nbytes, note=""):
    rs = runs[key]
    wall = statistics.median(w for w, _, _ in rs)
    rows.append(dict(key=key, label=label, cmd=cmd, wall=wall, wmin=min(w for w, _, _ in rs),
                     cpu=statistics.median(c for _, c, _ in rs), rss=max(r for _, _, r in rs) / 1024,
                     mbs=nbytes / 1e6 / wall, spg=wall / (nbytes / 1e9), n=len(rs), note=note))
row("cat", "cat (page cache)", E["CMD_CAT"], B)
row("walk", "**floor**: record walk (read + headers)", E["CMD_WALK"], B)
row("frame", "library, 1 thread: Framer only", E["CMD_FRAME"], B)
row("decode", "library, 1 thread: Framer + decode_block", E["CMD_DECODE"], B)
row("track", "library, 1 thread: Framer + decode + Shard::apply", E["CMD_TRACK"], B)
row("rdptriage_t1", "**rdptriage analyze --threads 1**", E["CMD_T1"] + " > /dev/null", B)
row("rdptriage_t2", "**rdptriage analyze --threads 2**", E["CMD_T2"] + " > /dev/null", B)
if mode == "full":
    row("tshark_full", "**tshark**", "tshark -r %s %s > /dev/null" % (E["FILE"], E["TSHARK_ARGS"]), B)
else:
    row("tshark_slice", "**tshark** (first %.0f MB, extrapolated)" % (slice_bytes / 1e6),
        "tshark -r SLICE %s > /dev/null" % E["TSHARK_ARGS"], slice_bytes,
        "its RSS is the slice's; tshark keeps per-frame state, so the whole file needs more")
get = {x["key"]: x for x in rows}
ts = rows[-1]
floor = get["walk"]
t1, t2 = get["rdptriage_t1"], get["rdptriage_t2"]

out = ["# rdptriage timing", ""]
out.append("Generated by `benches/timing.sh` (do not edit by hand).")
out.append("")
out.append("- Machine: %s CPUs (nproc), %s, %s RAM, Linux %s" % (E["NPROC"], E["CPU"], E["MEM"], E["KERNEL"]))
out.append("- %s; %s" % (E["RUSTC"], E["TSHARK_V"]))
out.append("- rdptriage commit %s%s; run %s; load average %s at the start, %s at the end"
           % (E["COMMIT"], E["DIRTY"], E["DATE"], E["LOAD_START"], E["LOAD_END"]))
out.append("- Capture `%s`: %.1f MB, %s frames, made by `%s %s --size-mb %s --seed %s`: %s; bulk flows carry %s%% of the frame bytes"
           % (E["FILE"], B / 1e6, E["FRAMES"], E["GEN"], E["FILE"], E["SIZE_MB"], E["SEED"], E["MIX"], E["BULK_PCT"]))
out.append("- Page cache warm (each file is read once before timing). Wall: median of %s runs (min in brackets), tshark 1 run;"
           " it includes process start-up. CPU = user + system. MB = 10^6 bytes, GB = 10^9 bytes. Wall from the clock around the command, CPU and peak RSS from `/usr/bin/time -v`." % E["REPEAT"])
out.append("- rdptriage found %s RDP connections (capture stats, report entries); the generator made %s. JSON report: %s MB."
           % (E["FOUND"].replace(" ", ", "), E["EXPECTED"], E["JSON_MB"]))
out.append("")
out.append("| What | Wall s | CPU s | MB/s | s/GB | Peak RSS MB | Speedup vs tshark | Time ÷ floor |")
out.append("|---|---:|---:|---:|---:|---:|---:|---:|")
for x in rows:
    wall = "%.3f" % x["wall"] + (" (%.3f)" % x["wmin"] if x["n"] > 1 else "")
    out.append("| %s | %s | %.2f | %.0f | %.2f | %.0f | %.1f× | %.1f× |" % (
        x["label"], wall, x["cpu"], x["mbs"], x["spg"], x["rss"], ts["spg"] / x["spg"], x["spg"] / floor["spg"]))
out.append("")
sp = t1["wall"] / t2["wall"]
def verdict(ok): return "pass" if ok else "**FAIL**"
rss_max = max(t1["rss"], t2["rss"])
out.append("| Target | Measured | |")
out.append("|---|---:|---|")
for label, v, ok in [
    ("≥ 50× tshark throughput, 2 threads", "%.1f×" % (ts["spg"] / t2["spg"]), ts["spg"] / t2["spg"] >= 50),
    ("≥ 50× tshark throughput, 1 thread", "%.1f×" % (ts["spg"] / t1["spg"]), ts["spg"] / t1["spg"] >= 50),
    ("within 5× of the record-walk floor, 2 threads", "%.1f×" % (t2["spg"] / floor["spg"]), t2["spg"] / floor["spg"] <= 5),
    ("within 5× of the record-walk floor, 1 thread", "%.1f×" % (t1["spg"] / floor["spg"]), t1["spg"] / floor["spg"] <= 5),
    ("≥ 1.6× speedup, 2 threads vs 1", "%.2f×" % sp, sp >= 1.6),
    ("peak RSS ≤ 300 MB", "%.0f MB" % rss_max, rss_max <= 300),
]:
    out.append("| %s | %s | %s |" % (label, v, verdict(ok)))
for line in filter(None, E["STRESS_LINES"].split(";")):
    name, f, how, conns, size = line.split("|")
    h = runs[name][0]
    out.append("| peak RSS ≤ 300 MB: %s RDP connections in %.0f MB (`%s`) | %.0f MB (%.2f s) | %s |"
               % (conns, int(size) / 1e6, how, h[2] / 1024, h[0], verdict(h[2] / 1024 <= 300)))
out.append("")
out.append("Commands:")
out.append("")
out.append("```")
for x in rows:
    out.append(x["cmd"])
for line in filter(None, E["STRESS_LINES"].split(";")):
    name, f, how, conns, size = line.split("|")
    out.append("target/release/rdptriage analyze --format json --threads 2 %s > /dev/null   # made with gen-capture ... --seed %s %s"
               % (f, E["SEED"], how))
if mode != "full":
    out.append("# SLICE = editcap -r %s SLICE 1-%s   (the first %s frames)" % (E["FILE"], E["SLICE_FRAMES"], E["SLICE_FRAMES"]))
out.append("```")
out.append("")
out.append("The floor is `gen-capture --walk`: plain `read()` calls into a 1 MiB buffer and a walk over the"
           " 16-byte record headers, the least any reader of the file must do. The three library rows run the"
           " crate's `Framer`, `decode_block` and `Shard::apply` on one thread (`gen-capture --stage`), without"
           " judging connections or writing a report.")
out.append("CPU s above wall s means more than one core was busy: with `--threads 1` rdptriage does everything"
           " on one thread; with more, the pool cuts the next windows of the file while it decodes and judges the one before. The load average shows whether other"
           " work shared the machine; the minimum wall time is the least disturbed run.")
out.append("tshark 4.0 keeps TLS on port 3389 as TPKT continuation data after the X.224 exchange, so"
           " `-d tcp.port==3389,tls` is what makes it dissect the TLS handshakes there (TCP sequence analysis"
           " and reassembly stay on, as by default); every frame is dissected and a few fields printed.")
if mode != "full":
    out.append("tshark was timed on the first %.0f MB only (the whole file was predicted to take more than"
               " %s s); its s/GB is applied to the whole file." % (slice_bytes / 1e6, E["TSHARK_BUDGET_S"]))
for x in rows:
    if x["note"]:
        out.append("%s: %s." % (x["label"], x["note"]))
text = "\n".join(out) + "\n"
open(E["OUT"], "w").write(text)
print(text)
EOF
echo "== wrote $RESULTS" >&2
