#!/usr/bin/env bash
# Builds two revisions of rdptriage and compares their reports on every fixture and every
# corpus file (../shared/corpus, when present), one by one and as whole folders.
#
#   bash benches/report-diff.sh [BASE_REV] [NEW_REV]
#
# BASE_REV defaults to HEAD~1, NEW_REV to the work tree as it is (uncommitted changes too).
# A revision is built in a git worktree under target/report-diff/ (kept, so a second run
# only rebuilds what changed). BASE_BIN / NEW_BIN name ready binaries instead of building.
# FORMATS (default "json jsonl text md html") says which reports to compare; json is the
# contract, the others catch a renderer reading a fact differently.
#
# Prints one line per differing report and a count; exits 1 when any report differs.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
base_rev=${1:-HEAD~1}
new_rev=${2:-}
formats=${FORMATS:-json jsonl text md html}
work="$root/target/report-diff"
mkdir -p "$work"

build() { # rev -> path of its binary
  local rev=$1 sha dir
  sha=$(git rev-parse --short=12 "$rev") || exit 2
  dir="$work/tree-$sha"
  if [ ! -x "$work/bin-$sha" ]; then
    [ -d "$dir" ] || git worktree add --detach -q "$dir" "$sha" >&2 || exit 2
    (cd "$dir" && CARGO_TARGET_DIR="$work/target" cargo build --release -q >&2) || exit 2
    cp "$work/target/release/rdptriage" "$work/bin-$sha"
  fi
  echo "$work/bin-$sha"
}

if [ -n "${BASE_BIN:-}" ]; then base=$BASE_BIN; else base=$(build "$base_rev"); fi
if [ -n "${NEW_BIN:-}" ]; then
  new=$NEW_BIN
elif [ -n "$new_rev" ]; then
  new=$(build "$new_rev")
else
  cargo build --release -q || exit 2
  cp target/release/rdptriage "$work/bin-worktree"
  new="$work/bin-worktree"
fi

inputs=()
while IFS= read -r f; do inputs+=("$f"); done < <(
  find fixtures -type f \( -name '*.pcap' -o -name '*.pcapng' -o -name '*.cap' -o -name '*.evtx' -o -name '*.xml' \) | sort
  [ -d ../shared/corpus ] && find ../shared/corpus/pcap ../shared/corpus/evtx -type f \
    \( -name '*.pcap' -o -name '*.pcapng' -o -name '*.evtx' \) | sort
)
folders=(fixtures/captures fixtures/eventlog fixtures)
[ -d ../shared/corpus ] && folders+=(../shared/corpus)
# A capture and the logs of the same server, given together (the joins and findings).
pairs=("fixtures/captures/nla-wrong-password.pcap fixtures/eventlog/server-rdpcorets.evtx fixtures/eventlog/server-security.evtx"
  "fixtures/captures/server-reset-mid-handshake.pcap fixtures/eventlog/server-system-tlskey.evtx fixtures/eventlog/server-rdpcorets-tlskey.evtx")

out="$work/out"
rm -rf "$out" && mkdir -p "$out/a" "$out/b"
compared=0 differ=0
compare() { # name, then the paths
  local name=$1 fmt
  shift
  for fmt in $formats; do
    "$base" analyze --format "$fmt" "$@" >"$out/a/$name.$fmt" 2>"$out/a/$name.$fmt.err"
    echo "exit $?" >>"$out/a/$name.$fmt.err"
    "$new" analyze --format "$fmt" "$@" >"$out/b/$name.$fmt" 2>"$out/b/$name.$fmt.err"
    echo "exit $?" >>"$out/b/$name.$fmt.err"
    compared=$((compared + 1))
    if ! cmp -s "$out/a/$name.$fmt" "$out/b/$name.$fmt" || ! cmp -s "$out/a/$name.$fmt.err" "$out/b/$name.$fmt.err"; then
      differ=$((differ + 1))
      echo "DIFFERS ($fmt): $* (diff $out/a/$name.$fmt $out/b/$name.$fmt)"
    fi
  done
}

i=0
for f in "${inputs[@]}"; do i=$((i + 1)); compare "file$i" "$f"; done
for d in "${folders[@]}"; do i=$((i + 1)); compare "folder$i" "$d"; done
for p in "${pairs[@]}"; do i=$((i + 1)); read -ra ps <<<"$p"; compare "pair$i" "${ps[@]}"; done
# Everything held on disk: the spill path must give the same bytes.
for d in "${folders[@]}"; do
  i=$((i + 1))
  RDPTRIAGE_HOLD_DETAILS=0 RDPTRIAGE_HOLD_PAYLOAD=0 compare "spilled$i" "$d"
done

echo "$compared reports compared ($base vs $new): $differ differ"
[ "$differ" -eq 0 ]
