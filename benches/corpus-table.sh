#!/usr/bin/env bash
# One line per RDP connection of every corpus capture (../shared/corpus/pcap) and every
# fixture capture, as two binaries judge it: file, connection, client → server, then
# reached / failed stage / verdict / cause before and after, and whether it changed.
#
#   bash benches/corpus-table.sh BASE_BIN NEW_BIN [OUT.md]
#
# Writes a Markdown table (to OUT.md, default stdout) and prints the count of connections
# that changed to stderr. Needs python3.
set -uo pipefail
cd "$(dirname "$0")/.."
base=${1:?BASE_BIN}
new=${2:?NEW_BIN}
out=${3:-/dev/stdout}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
files=$(find ../shared/corpus/pcap ../shared/corpus/evtx fixtures/captures fixtures/eventlog -type f \
  \( -name '*.pcap' -o -name '*.pcapng' -o -name '*.cap' -o -name '*.pcap.gz' -o -name '*.evtx' \
  -o -name '*.xml' \) 2>/dev/null | sort)
i=0
for f in $files; do
  i=$((i + 1))
  "$base" analyze --format json "$f" >"$tmp/b$i.json" 2>/dev/null
  "$new" analyze --format json "$f" >"$tmp/n$i.json" 2>/dev/null
  echo "$f" >"$tmp/f$i"
done
python3 - "$tmp" "$i" >"$out" <<'EOF'
import json, sys
tmp, n = sys.argv[1], int(sys.argv[2])
def load(p):
    try:
        return {c["id"]: c for c in json.load(open(p))["connections"]}
    except Exception:
        return {}
def findings(p):
    try:
        return [f'{f["severity"]} {f["cause"]}' for f in json.load(open(p))["findings"]]
    except Exception:
        return []
def word(c):
    if c is None:
        return "—"
    return f'{c.get("reached") or "-"} / {c.get("failed_stage") or "-"} / {c.get("verdict") or "-"} / {c.get("cause") or "-"}'
rows, changed = [], 0
for i in range(1, n + 1):
    f = open(f"{tmp}/f{i}").read().strip()
    b, a = load(f"{tmp}/b{i}.json"), load(f"{tmp}/n{i}.json")
    for cid in sorted(set(b) | set(a), key=lambda s: int(s[1:]) if s[1:].isdigit() else 0):
        cb, ca = b.get(cid), a.get(cid)
        c = ca or cb
        diff = word(cb) != word(ca)
        changed += diff
        rows.append(f'| {f} | {cid} | {c["client"]} → {c["server"]} | {word(cb)} | {word(ca)} | {"**changed**" if diff else ""} |')
print("| capture | conn | client → server | before: reached / failed stage / verdict / cause | after | |")
print("|---|---|---|---|---|---|")
print("\n".join(rows))
print(f"\n{len(rows)} connections, {changed} changed.")
print("\n| input | findings before | findings after |")
print("|---|---|---|")
differ = 0
for i in range(1, n + 1):
    f = open(f"{tmp}/f{i}").read().strip()
    b, a = findings(f"{tmp}/b{i}.json"), findings(f"{tmp}/n{i}.json")
    if b != a:
        differ += 1
        print(f'| {f} | {", ".join(b) or "none"} | {", ".join(a) or "none"} |')
print(f"\n{n} inputs, {differ} with other findings.")
print(f"{changed} of {len(rows)} connections changed", file=sys.stderr)
EOF
