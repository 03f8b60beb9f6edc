# Shell functions shared by the measurement scripts (sourced, not run):
# a private tmux server whose panes run the measured programs, and readers
# of /proc for CPU ticks and peak RSS. The sourcing script sets WORK,
# SOCKET, COLS and ROWS first, and may set MEASURE_TERM (the TERM the
# measured programs see; xterm-256color unless set).

tm() {
	tmux -L "$SOCKET" -f /dev/null "$@"
}

SOCKET_PATH=""
# A sourcing script may define cleanup_extra (stop its servers).
cleanup() {
	if declare -F cleanup_extra >/dev/null; then cleanup_extra; fi
	tm kill-server >/dev/null 2>&1 || true
	# tmux leaves its socket file behind.
	if [ -n "$SOCKET_PATH" ]; then rm -f "$SOCKET_PATH"; fi
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# NAME COMMAND...: a detached session whose pane runs COMMAND directly
# (exec'd by tmux, so #{pane_pid} is the measured process), its output
# piped to $WORK/NAME.out.
start_session() {
	local name="$1"
	shift
	tm new-session -d -s "$name" -x "$COLS" -y "$ROWS" \
		env TERM="${MEASURE_TERM:-xterm-256color}" "$@"
	: >"$WORK/$name.out"
	tm pipe-pane -o -t "$name" "cat >> '$WORK/$name.out'" 2>/dev/null || true
}

pane_pid() {
	tm display-message -p -t "$1" '#{pane_pid}'
}

pane_dead() {
	[ "$(tm display-message -p -t "$1" '#{pane_dead}')" = "1" ]
}

# utime + stime of PID, in clock ticks (fields 14 and 15 of /proc/PID/stat;
# the command name in field 2 may hold spaces, so cut after its ')').
cpu_ticks() {
	local stat
	stat="$(cat "/proc/$1/stat")"
	stat="${stat##*) }"
	# shellcheck disable=SC2086
	set -- $stat
	echo $((${12} + ${13}))
}

# VmHWM of PID in KiB.
peak_rss_kib() {
	awk '/^VmHWM:/ { print $2 }' "/proc/$1/status"
}

# VmRSS of PID in KiB (now).
rss_kib() {
	awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"
}

# RssAnon of PID in KiB (now): the memory the process itself holds. The
# rest of its RSS is the binary's code and data mapped from the page cache
# (RssFile), shared with every other copy running and reclaimable.
anon_rss_kib() {
	awk '/^RssAnon:/ { print $2 }' "/proc/$1/status"
}

# PID SECONDS: the largest VmRSS of PID sampled every second for SECONDS
# (steady state, where the peak since start holds the start's burst too).
max_rss_over() {
	local pid="$1" secs="$2" max=0 r i
	for ((i = 0; i < secs; i++)); do
		r="$(rss_kib "$pid")"
		[ "${r:-0}" -gt "$max" ] && max="$r"
		sleep 1
	done
	echo "$max"
}

now() {
	date +%s.%N
}

file_size() {
	stat -c %s "$1"
}

# utime + stime + cutime + cstime of PID, in clock ticks: the process and
# the children it has reaped.
all_ticks() {
	local stat
	stat="$(cat "/proc/$1/stat" 2>/dev/null)" || {
		echo 0
		return
	}
	stat="${stat##*) }"
	# shellcheck disable=SC2086
	set -- $stat
	echo $((${12} + ${13} + ${14} + ${15}))
}

# Every process below PID (from the ppid field of /proc/*/stat).
descendants() {
	awk -v root="$1" '
	FNR == 1 {
		line = $0
		sub(/^.*\) /, "", line)
		split(line, f, " ")
		pid = FILENAME
		gsub(/[^0-9]/, "", pid)
		parent[pid] = f[2]
	}
	END {
		want[root] = 1
		do {
			grew = 0
			for (p in parent)
				if (!(p in want) && (parent[p] in want)) { want[p] = 1; grew = 1 }
		} while (grew)
		for (p in want) if (p != root) print p
	}' /proc/[0-9]*/stat 2>/dev/null
}

# The CPU of PID and of everything below it, living or reaped, in ticks.
tree_ticks() {
	local total p
	total="$(all_ticks "$1")"
	for p in $(descendants "$1"); do
		total=$((total + $(all_ticks "$p")))
	done
	echo "$total"
}

# A server that keeps a dead pane (to show why it died) and lives on empty.
start_server() {
	tm start-server \; set-option -g exit-empty off \; set-option -g remain-on-exit on
	SOCKET_PATH="$(tm display-message -p '#{socket_path}')"
}

# PREFIX BIN: BIN with $WORK/idle.toml and with $WORK/anim.toml, in the
# sessions PREFIX-idle and PREFIX-anim, each with its log in $WORK.
start_idle_and_animating() {
	start_session "$1-idle" "$2" --config "$WORK/idle.toml" --log-file "$WORK/$1-idle.log"
	start_session "$1-anim" "$2" --config "$WORK/anim.toml" --log-file "$WORK/$1-anim.log"
}

# The measured sessions: the sourcing script sets SESSIONS (their names);
# read_pids fills PID (name -> pid), measure_window the rest.
declare -A PID TICKS0 TICKS1 BYTES0 BYTES1 PEAK RSS ANON

read_pids() {
	local s
	for s in "${SESSIONS[@]}"; do
		PID[$s]="$(pane_pid "$s")"
	done
}

# Exits, showing its screen and log, if a session has ended.
check_alive() {
	local s
	for s in "${SESSIONS[@]}"; do
		if pane_dead "$s" || [ ! -d "/proc/${PID[$s]}" ]; then
			echo "$(basename "$0"): '$s' exited early; its screen:" >&2
			tm capture-pane -p -t "$s" | grep -v '^$' >&2 || true
			[ -f "$WORK/$s.log" ] && tail -n 20 "$WORK/$s.log" >&2
			exit 1
		fi
	done
}

# SECONDS: every session over the same window. Sets CLK_TCK, T0 and T1,
# and per session its CPU ticks and terminal bytes at both ends, its RSS,
# RssAnon and peak RSS at the end.
measure_window() {
	local s i
	check_alive
	CLK_TCK="$(getconf CLK_TCK)"
	T0="$(now)"
	for s in "${SESSIONS[@]}"; do
		TICKS0[$s]="$(cpu_ticks "${PID[$s]}")"
		BYTES0[$s]="$(file_size "$WORK/$s.out")"
	done
	echo "$(basename "$0"): measuring for ${1}s" >&2
	for ((i = 0; i < $1; i++)); do
		sleep 1
		check_alive
	done
	T1="$(now)"
	for s in "${SESSIONS[@]}"; do
		TICKS1[$s]="$(cpu_ticks "${PID[$s]}")"
		BYTES1[$s]="$(file_size "$WORK/$s.out")"
		PEAK[$s]="$(peak_rss_kib "${PID[$s]}")"
		RSS[$s]="$(rss_kib "${PID[$s]}")"
		ANON[$s]="$(anon_rss_kib "${PID[$s]}")"
	done
}
