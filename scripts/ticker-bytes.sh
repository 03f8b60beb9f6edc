#!/usr/bin/env bash
# Bytes per ticker step through a real terminal.
#
#   scripts/ticker-bytes.sh [SECONDS] [CONFIG]      (default 20 s)
#
# Runs fleettop at 100x30 (TERM=xterm-256color) in a detached tmux pane on a
# private socket, captures what it writes (tmux pipe-pane) for SECONDS after
# a warm-up, cuts the stream into draws (each ends by resetting the colours)
# and counts a draw as a ticker step when every cursor move in it goes to the
# ticker's row. Prints the steps' bytes (median, mean, max) and the full
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
require_tools ticker-bytes.sh tmux python3
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
: >"$WORK/ticker.out"
sleep "$DURATION"
tm pipe-pane -t ticker 2>/dev/null || true
tm send-keys -t ticker q

python3 - "$WORK/ticker.out" "$ROWS" "$DURATION" <<'PY'
import re, statistics, sys

data = open(sys.argv[1], "rb").read()
ticker_row = int(sys.argv[2]) - 1  # 1-based row of the ticker (the status line is last)
seconds = int(sys.argv[3])
# ratatui's crossterm backend ends every draw by resetting the colours.
END = b"\x1b[39m\x1b[49m\x1b[59m\x1b[0m"
draws = [d + END for d in data.split(END)[:-1]]
steps, frames = [], []
for d in draws:
    rows = {int(m.group(1)) for m in re.finditer(rb"\x1b\[(\d+);\d+H", d)}
    (steps if rows == {ticker_row} else frames).append(len(d))
def line(name, xs):
    if not xs:
        return "%-12s none" % name
    return "%-12s %5d   median %4d B   mean %6.1f B   max %5d B" % (
        name, len(xs), statistics.median(xs), statistics.mean(xs), max(xs))
print("over %d s at 100x30: %d bytes in all (%.0f B/s)" % (seconds, len(data), len(data) / seconds))
print(line("ticker steps", steps))
print(line("full frames", frames))
PY
