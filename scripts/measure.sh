#!/usr/bin/env bash
# Whole-process measurement of fleettop beside htop, in one run.
#
#   scripts/measure.sh [DURATION_SECONDS]      (default 60)
#
# Builds the release binary, then starts side by side, each in its own
# detached tmux session (100x30, TERM=xterm-256color, on a private tmux
# socket):
#   - fleettop, "ticker idle":      event_ttl = 5s, so the start event
#                                   ("host up") has expired before measuring
#   - fleettop, "ticker animating": event_ttl = 10m, the ticker keeps scrolling
#   - htop
# After a warm-up of 8 s it measures every process over the same DURATION
# window: CPU % (utime+stime from /proc/PID/stat over wall time), peak RSS
# (VmHWM), and the bytes each program wrote to its terminal (tmux pipe-pane).
# Prints a Markdown table.
#
# FLEETTOP_BIN=/path/to/fleettop skips the build and measures that binary.
set -euo pipefail

DURATION="${1:-60}"

TICKER_FPS=12
WARMUP=8
COLS=100
ROWS=30

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT="$(pwd)"

# shellcheck source=scripts/bin-lib.sh
. "$ROOT/scripts/bin-lib.sh"
require_seconds measure.sh "$0 [SECONDS]" "$DURATION"
require_tools measure.sh tmux htop awk

BIN="$(fleettop_bin measure.sh)"

WORK="$(mktemp -d /tmp/fleettop-measure.XXXXXX)"
SOCKET="fleettop-measure-$$"

# shellcheck source=scripts/measure-lib.sh
. "$ROOT/scripts/measure-lib.sh"

write_config() { # FILE TTL
	cat >"$1" <<CONF
[ui]
ticker_fps = $TICKER_FPS

[alerts]
event_ttl = "$2"

[[hosts]]
local = true
CONF
}
write_config "$WORK/idle.toml" "5s"
write_config "$WORK/anim.toml" "10m"

start_server
SESSIONS=(ft-idle ft-anim htop)
start_idle_and_animating ft "$BIN"
start_session htop htop
read_pids

echo "measure.sh: warming up ${WARMUP}s (so the idle fleettop's start event expires)" >&2
sleep "$WARMUP"

measure_window "$DURATION"

row() { # SESSION PROGRAM PHASE STEP(yes|no)
	local s="$1"
	awk -v prog="$2" -v phase="$3" -v step="$4" -v fps="$TICKER_FPS" \
		-v t0="$T0" -v t1="$T1" -v hz="$CLK_TCK" \
		-v c0="${TICKS0[$s]}" -v c1="${TICKS1[$s]}" \
		-v b0="${BYTES0[$s]}" -v b1="${BYTES1[$s]}" -v peak="${PEAK[$s]}" -v anon="${ANON[$s]}" '
	BEGIN {
		wall = t1 - t0
		cpu = (c1 - c0) / hz / wall * 100
		bps = (b1 - b0) / wall
		per = (step == "yes") ? sprintf("%.1f", bps / fps) : "-"
		printf "| %s | %s | %.2f | %.1f | %.1f | %.0f | %s |\n", prog, phase, cpu, peak / 1024, anon / 1024, bps, per
	}'
}

echo
echo "Measured over ${DURATION} s at ${COLS}x${ROWS}, TERM=xterm-256color, ticker_fps = ${TICKER_FPS} ($(nproc) cores)."
echo
echo "| program | phase | CPU % | peak RSS MiB | of it private (RssAnon) MiB | bytes/s | bytes/step |"
echo "| --- | --- | ---: | ---: | ---: | ---: | ---: |"
row ft-idle fleettop "ticker idle" no
row ft-anim fleettop "ticker animating" yes
row htop htop "default (1.5 s delay)" no
