#!/usr/bin/env bash
# fleettop on the demo fleet beside htop, in one run:
#
#   scripts/measure-demo.sh [SECONDS] [DIR]       (default 45, a fresh fleet)
#
# Starts the demo fleet (scripts/demo-fleet.sh) in a temporary directory and
# stops it after, or uses the one already running in DIR (left running).
# Writes two configs from the demo's fleettop.toml, merged into its [ui] and
# [alerts] tables: ticker_fps = 12, and event_ttl = "10m" ("ticker
# animating": the ticker keeps scrolling) or "1s" ("ticker idle": the start
# events expire during the warm-up). Runs both fleettops and htop side by
# side in one private tmux server at 100x30, TERM=linux; after a 20 s
# warm-up it measures every process over the same window: CPU % of a core
# (utime+stime from /proc/PID/stat over wall time), RSS now and its private
# part (RssAnon), peak RSS (VmHWM), and the bytes written to the terminal
# (tmux pipe-pane). Prints a Markdown table and the ratios to htop against
# the goals (animating <= 1.3x htop's CPU; idle <= 1.0x its CPU and <= 0.5x
# its bytes/s; RSS <= 12 MiB).
#
# Needs root for the fleet's sshd and dockerd (without, the fleet is
# smaller). FLEETTOP_BIN=/path/to/fleettop skips the build; the demo fleet
# itself honours CARGO_TARGET_DIR and DEMO_PROFILE. MEASURE_KEEP_SCREENS=PREFIX
# keeps each program's last screen in PREFIX.NAME.txt.
# FLEETTOP_BASELINE=/path/to/fleettop runs that binary too, idle and
# animating, in the same window: a before/after pair under the same load
# (on a shared machine, runs one after the other differ by more than a
# change does).
set -euo pipefail

DURATION="${1:-45}"
DEMO_DIR="${2:-}"

TICKER_FPS=12
WARMUP=20
COLS=100
ROWS=30
MEASURE_TERM=linux

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT="$(pwd)"
# shellcheck source=scripts/bin-lib.sh
. "$ROOT/scripts/bin-lib.sh"
require_seconds measure-demo.sh "$0 [SECONDS] [DIR]" "$DURATION"
require_tools measure-demo.sh tmux htop awk
BIN="$(fleettop_bin measure-demo.sh)"

WORK="$(mktemp -d /tmp/fleettop-measure-demo.XXXXXX)"
SOCKET="fleettop-measure-demo-$$"
STARTED_DEMO=""
cleanup_extra() {
	stop_started_demo
}
# shellcheck source=scripts/measure-lib.sh
. "$ROOT/scripts/measure-lib.sh"

use_demo_fleet measure-demo.sh
[ -f "$DEMO_DIR/fleettop.toml" ] || {
	echo "measure-demo.sh: no demo fleet runs in $DEMO_DIR (no fleettop.toml)" >&2
	exit 1
}

# FILE < demo config: KEY = VALUE set in table TABLE, merged into the table
# if the config has it (a key it already sets is replaced), else a new table
# appended (after the arrays of tables, where a plain table is still valid).
set_key() { # TABLE KEY VALUE
	awk -v table="[$1]" -v key="$2" -v value="$3" '
	function header(l) { return l ~ /^[ \t]*\[/ }
	{
		line = $0
		if (header(line)) {
			in_table = (line ~ "^[ \t]*\\[" substr(table, 2, length(table) - 2) "\\][ \t]*(#.*)?$")
			print line
			if (in_table) { print key " = " value; done = 1 }
			next
		}
		if (in_table && line ~ "^[ \t]*" key "[ \t]*=") next
		print line
	}
	END { if (!done) { print ""; print table; print key " = " value } }'
}
write_config() { # FILE TTL
	set_key ui ticker_fps "$TICKER_FPS" <"$DEMO_DIR/fleettop.toml" |
		set_key alerts event_ttl "\"$2\"" >"$1"
}
write_config "$WORK/idle.toml" "1s"
write_config "$WORK/anim.toml" "10m"

start_server
SESSIONS=(ft-idle ft-anim htop)
start_idle_and_animating ft "$BIN"
start_session htop htop
if [ -n "${FLEETTOP_BASELINE:-}" ]; then
	SESSIONS+=(base-idle base-anim)
	start_idle_and_animating base "$FLEETTOP_BASELINE"
fi
read_pids

echo "measure-demo.sh: warming up ${WARMUP}s" >&2
sleep "$WARMUP"
measure_window "$DURATION"
if [ -n "${MEASURE_KEEP_SCREENS:-}" ]; then
	for s in "${SESSIONS[@]}"; do
		tm capture-pane -p -t "$s" >"$MEASURE_KEEP_SCREENS.$s.txt"
	done
fi

# One line per session: name cpu% rss_kib anon_kib peak_kib bytes/s.
stats() {
	local s
	for s in "${SESSIONS[@]}"; do
		awk -v s="$s" -v t0="$T0" -v t1="$T1" -v hz="$CLK_TCK" \
			-v c0="${TICKS0[$s]}" -v c1="${TICKS1[$s]}" -v b0="${BYTES0[$s]}" -v b1="${BYTES1[$s]}" \
			-v rss="${RSS[$s]}" -v anon="${ANON[$s]}" -v peak="${PEAK[$s]}" '
		BEGIN {
			wall = t1 - t0
			printf "%s %.4f %d %d %d %.1f\n", s, (c1 - c0) / hz / wall * 100, rss, anon, peak, (b1 - b0) / wall
		}'
	done
}
stats >"$WORK/stats"

echo
echo "Measured on the demo fleet over ${DURATION} s after a ${WARMUP} s warm-up, ${COLS}x${ROWS}, TERM=${MEASURE_TERM}, ticker_fps = ${TICKER_FPS}, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)."
echo
awk '
function mib(k) { return sprintf("%.1f", k / 1024) }
function verdict(ok) { return ok ? "met" : "**not met**" }
{ cpu[$1] = $2; rss[$1] = $3; anon[$1] = $4; peak[$1] = $5; bps[$1] = $6 }
END {
	name["ft-idle"] = "fleettop | ticker idle (`event_ttl = \"1s\"`)"
	name["ft-anim"] = "fleettop | ticker animating, 12 fps"
	name["htop"] = "htop | default"
	name["base-idle"] = "fleettop baseline | ticker idle"
	name["base-anim"] = "fleettop baseline | ticker animating, 12 fps"
	print "| program | phase | CPU % | RSS MiB (of it private) | peak RSS MiB | bytes/s |"
	print "| --- | --- | ---: | ---: | ---: | ---: |"
	n = split("base-idle base-anim ft-idle ft-anim htop", order, " ")
	for (i = 1; i <= n; i++) {
		s = order[i]
		if (!(s in cpu)) continue
		printf "| %s | %.2f | %s (%s) | %s | %.0f |\n", name[s], cpu[s], mib(rss[s]), mib(anon[s]), mib(peak[s]), bps[s]
	}
	h = cpu["htop"] > 0 ? cpu["htop"] : 0.0001
	hb = bps["htop"] > 0 ? bps["htop"] : 1
	print ""
	print "| goal | measured | |"
	print "| --- | ---: | --- |"
	printf "| animating CPU <= 1.3x htop | %.2fx | %s |\n", cpu["ft-anim"] / h, verdict(cpu["ft-anim"] / h <= 1.3)
	printf "| idle CPU <= 1.0x htop | %.2fx | %s |\n", cpu["ft-idle"] / h, verdict(cpu["ft-idle"] / h <= 1.0)
	printf "| idle bytes/s <= 0.5x htop | %.2fx | %s |\n", bps["ft-idle"] / hb, verdict(bps["ft-idle"] / hb <= 0.5)
	r = rss["ft-idle"] > rss["ft-anim"] ? rss["ft-idle"] : rss["ft-anim"]
	printf "| RSS <= 12 MiB | %s MiB | %s |\n", mib(r), verdict(r <= 12 * 1024)
}' "$WORK/stats"
