#!/usr/bin/env bash
# Bytes per ticker step through a real terminal.
#
#   scripts/ticker-bytes.sh [SECONDS] [CONFIG]      (default 20 s)
#
# Runs fleettop at 100x30 (TERM=xterm-256color) in a detached tmux pane on a
# private socket and, for SECONDS after a warm-up, records every write it
# makes to the terminal (strace: a draw is one write) and counts a draw as a
# ticker step when every cursor move to a row in it goes to the ticker's
# row. Prints the steps' bytes (median, mean, max) and the full
# frames' for comparison. Without CONFIG, a config whose ticker carries
# coloured events: failing HTTP checks and a NATS server that is not there
# (red), the local host (default colour).
#
# FLEETTOP_BIN=/path/to/fleettop skips the build.
set -euo pipefail

DURATION="${1:-20}"
case "$DURATION" in
'' | *[!0-9]* | 0)
	echo "usage: $0 [SECONDS] [CONFIG]" >&2
	exit 2
	;;
esac
COLS=100
ROWS=30
WARMUP=12

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT="$(pwd)"
# shellcheck source=scripts/bin-lib.sh
. "$ROOT/scripts/bin-lib.sh"
require_tools ticker-bytes.sh tmux python3 strace timeout
BIN="$(fleettop_bin ticker-bytes.sh)"
WORK="$(mktemp -d /tmp/fleettop-ticker-bytes.XXXXXX)"
SOCKET="fleettop-ticker-bytes-$$"
# shellcheck source=scripts/measure-lib.sh
. "$ROOT/scripts/measure-lib.sh"

CONFIG="${2:-$WORK/ticker.toml}"
if [ -z "${2:-}" ]; then
	{
		printf '[ui]\nticker_fps = 12\n\n[alerts]\nevent_ttl = "10m"\n\n[[hosts]]\nlocal = true\n'
		for n in litellm vllm grafana webhooks; do
			printf '\n[[services.http]]\nname = "%s"\nurl = "http://127.0.0.1:9/%s"\ninterval = "2s"\n' "$n" "$n"
		done
		printf '\n[[nats]]\nname = "main"\nmonitor_url = "http://127.0.0.1:9"\n'
	} >"$CONFIG"
fi

start_session ticker "$BIN" --config "$CONFIG"
sleep "$WARMUP"
# -xx: every byte in hex, whole (-s): the draws exactly as written.
timeout -s INT "$DURATION" strace -qq -e trace=write -e signal=none -xx -s 1048576 \
	-p "$(pane_pid ticker)" -o "$WORK/writes.txt" || true
tm send-keys -t ticker q

python3 - "$WORK/writes.txt" "$ROWS" "$DURATION" <<'PY'
import re, statistics, sys

ticker_row = int(sys.argv[2]) - 1  # 1-based row of the ticker (the status line is last)
seconds = int(sys.argv[3])
WRITE = re.compile(r'write\(1, "((?:\\x[0-9a-f]{2})*)"(?:\.\.\.)?, \d+\) = (\d+)')
draws = []
for line in open(sys.argv[1], encoding="utf-8", errors="replace"):
    m = WRITE.search(line)
    if m:
        draws.append((bytes.fromhex(m.group(1).replace("\\x", "")), int(m.group(2))))
steps, frames = [], []
for text, n in draws:
    # Moves to a row: CSI row;col H or CSI row H.
    rows = {int(m.group(1)) for m in re.finditer(rb"\x1b\[(\d+)(?:;\d+)?H", text)}
    (steps if rows == {ticker_row} else frames).append(n)
total = sum(n for _, n in draws)
def line(name, xs):
    if not xs:
        return "%-12s none" % name
    return "%-12s %5d   median %4d B   mean %6.1f B   max %5d B" % (
        name, len(xs), statistics.median(xs), statistics.mean(xs), max(xs))
print("over %d s at 100x30: %d bytes in all (%.0f B/s)" % (seconds, total, total / seconds))
print(line("ticker steps", steps))
print(line("full frames", frames))
PY
