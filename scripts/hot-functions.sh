#!/usr/bin/env bash
# Writes link/hot-functions.txt, the order in which the release link lays
# out fleettop's code (build.rs): every function a running fleettop
# executes, hottest first; the rest follow.
#
#   scripts/hot-functions.sh [SECONDS] [DIR]      (default 60, a fresh fleet)
#
# Builds the release binary with a linker map (FLEETTOP_LINK_MAP), starts
# the demo fleet (scripts/demo-fleet.sh) in a temporary directory or uses
# the one running in DIR, and runs fleettop under valgrind's callgrind at
# 100x30, TERM=linux, in a private tmux server: SECONDS on the Fleet tab,
# then every tab, a drill-down on each, a sort and a filter, then quits.
# Every instruction callgrind counted is mapped to its function through the
# linker's map. Run it again when the code has changed much: names the list no
# longer matches are skipped by the linker, so a stale list costs memory,
# never correctness. Needs valgrind, tmux, python3; root for the fleet's
# sshd and dockerd (without, the fleet is smaller and so is the list).
set -euo pipefail

DURATION="${1:-60}"
DEMO_DIR="${2:-}"

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT="$(pwd)"
# shellcheck source=scripts/bin-lib.sh
. "$ROOT/scripts/bin-lib.sh"
require_seconds hot-functions.sh "$0 [SECONDS] [DIR]" "$DURATION"
require_tools hot-functions.sh valgrind tmux python3

WORK="$(mktemp -d /tmp/fleettop-hot.XXXXXX)"
SOCKET="fleettop-hot-$$"
STARTED_DEMO=""
cleanup() {
	tmux -L "$SOCKET" kill-server 2>/dev/null || true
	stop_started_demo
	rm -rf "$WORK"
}
trap cleanup EXIT

echo "hot-functions.sh: cargo build --release, with a linker map" >&2
FLEETTOP_LINK_MAP="$WORK/fleettop.map" cargo build --release >&2
cp target/release/fleettop "$WORK/fleettop"

use_demo_fleet hot-functions.sh

echo "hot-functions.sh: fleettop under callgrind for ${DURATION}s, then every tab" >&2
tmux -L "$SOCKET" -f /dev/null new-session -d -x 100 -y 30 -s hot \
	"env TERM=linux valgrind --tool=callgrind --dump-instr=yes --callgrind-out-file=$WORK/callgrind.out \
	$WORK/fleettop --config $DEMO_DIR/fleettop.toml 2>$WORK/valgrind.err"
sleep "$DURATION"
for key in 2 Enter Escape 3 Enter Escape 4 Enter Escape 1 Enter Escape s / x Escape; do
	tmux -L "$SOCKET" send-keys -t hot "$key"
	sleep 4
done
tmux -L "$SOCKET" send-keys -t hot q
for _ in $(seq 60); do
	[ -s "$WORK/callgrind.out" ] && ! pgrep -f "callgrind-out-file=$WORK" >/dev/null && break
	sleep 1
done
[ -s "$WORK/callgrind.out" ] || {
	echo "hot-functions.sh: callgrind wrote nothing; see $WORK/valgrind.err" >&2
	trap - EXIT
	exit 1
}

python3 - "$WORK/callgrind.out" "$WORK/fleettop.map" link/hot-functions.txt <<'PY'
import bisect, collections, re, sys

profile, link_map, out = sys.argv[1:4]
# The map's input sections of code, one function each:
# "VMA LMA Size Align  object:(.text.NAME)".
section = re.compile(r"^\s*([0-9a-f]+)\s+[0-9a-f]+\s+([0-9a-f]+)\s+\d+\s+\S.*:\(\.text\.(.+)\)$")
funcs = []
for line in open(link_map):
    m = section.match(line)
    if m and int(m.group(2), 16):
        # A cold function's section is ".text.unlikely.NAME" (and so on):
        # the linker orders by the function's name.
        name = re.sub(r"^(unlikely|hot|startup|exit|split)\.", "", m.group(3))
        funcs.append((int(m.group(1), 16), int(m.group(2), 16), name))
funcs.sort()
starts = [f[0] for f in funcs]

# With --dump-instr=yes every cost line starts with the address of the
# instruction it counts: absolute ("0x..."), relative to the last ("+N",
# "-N") or the same ("*"); "ob=" says whose code follows.
objects, ours, address = {}, False, 0
cost = collections.Counter()
for line in open(profile):
    m = re.match(r"^(c?)ob=\((\d+)\)(?: (.*))?$", line)
    if m:
        if m.group(3):
            objects[m.group(2)] = m.group(3).strip()
        if not m.group(1):
            ours = objects[m.group(2)].endswith("/fleettop")
        continue
    if not ours or line[:1] not in "0123456789+-*":
        continue
    fields = line.split()
    if fields[0].startswith("0x"):
        address = int(fields[0], 16)
    elif fields[0][0] in "+-":
        address += int(fields[0])
    i = bisect.bisect_right(starts, address) - 1
    if i >= 0 and address < funcs[i][0] + funcs[i][1]:
        cost[funcs[i][2]] += int(fields[-1]) if len(fields) > 2 else 1
size = {name: n for _, n, name in funcs}
print(f"hot-functions.sh: {len(cost)} of {len(funcs)} functions ran, "
      f"{sum(size[n] for n in cost) // 1024} of {sum(size.values()) // 1024} KiB", file=sys.stderr)
if not cost:
    sys.exit("hot-functions.sh: no function of fleettop in the profile")
with open(out, "w") as f:
    f.writelines(name + "\n" for name, _ in cost.most_common())
PY
echo "hot-functions.sh: wrote link/hot-functions.txt; rebuild to use it" >&2
