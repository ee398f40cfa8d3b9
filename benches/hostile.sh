#!/usr/bin/env bash
# Times the release binary on the hostile uploads of issue 19 §2 (benches/hostile_inputs.py
# writes them) and prints each case's wall time, peak RSS and report size, for --format json
# and --format text. The target is a peak RSS of at most 300 MB on every case.
#
#   bash benches/hostile.sh [OUT_DIR]     (default target/hostile; inputs are made once)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-target/hostile}
cargo build --release -q
bin=$PWD/target/release/rdptriage
[ -e "$out/tls-alerts.pcap.gz" ] || python3 benches/hostile_inputs.py "$out" >/dev/null
printf '| case | on disk | format | time | peak RSS | report |\n|---|---:|---|---:|---:|---:|\n'
for case in netmon-alias-10k.cap.gz netmon-alias-100k.cap.gz utf16-export.xml.gz utf16-four \
  nested-three.zip unknown-blocks.pcapng.gz tls-alerts.pcap.gz guessing-20k; do
  size=$(du -sb "$out/$case" | cut -f1)
  for fmt in json text; do
    /usr/bin/time -f '%e %M' -o "$out/.time" "$bin" analyze --format "$fmt" "$out/$case" \
      >"$out/.report" 2>/dev/null || true
    read -r secs kb <"$out/.time"
    printf '| %s | %s B | %s | %s s | %s MB | %s B |\n' "$case" "$size" "$fmt" "$secs" \
      "$((kb / 1024))" "$(stat -c %s "$out/.report")"
  done
done
