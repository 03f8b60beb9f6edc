#!/usr/bin/env bash
# What SSH collection costs, measured against a real OpenSSH sshd on a
# loopback port (throwaway keys, this machine plays every host):
#
#   scripts/measure-ssh.sh [HOSTS] [DURATION_SECONDS]     (default 200 60)
#
# 1. The cost on a monitored host per poll: the CPU of sshd and everything
#    below it (the probe's shell and its cat/df/ps) per poll, for fleettop's
#    one kept connection (1 host polled every second) against spawning a
#    fresh `ssh` process per poll (what the tool fleettop replaces did), and
#    the client's own CPU per poll in each case.
# 2. HOSTS hosts (all on the one sshd) polled every 5 s by the release
#    binary in a 100x30 tmux pane: after a warm-up, fleettop's CPU % of a
#    core, RSS while measuring and peak since start, bytes written to the terminal per second, and how many
#    hosts were online.
#
# The hosts are a throwaway user, fleettop-m, whose login shell is /bin/sh,
# made for the run and removed after it: a login shell that reads a heavy
# ~/.bashrc (pyenv init costs ~100 ms of CPU here) is a cost of every exec,
# and would be measured instead of the probe.
#
# Needs root (sshd, useradd), tmux, ssh, ssh-keygen, /usr/sbin/sshd.
# FLEETTOP_BIN=/path/to/fleettop skips the build.
set -euo pipefail

HOSTS="${1:-200}"
DURATION="${2:-60}"
POLLS=30
COLS=100
ROWS=30

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT="$(pwd)"
# shellcheck source=scripts/bin-lib.sh
. "$ROOT/scripts/bin-lib.sh"
require_tools measure-ssh.sh tmux ssh ssh-keygen awk
[ -x /usr/sbin/sshd ] || {
	echo "measure-ssh.sh: /usr/sbin/sshd is required (apt-get install -y openssh-server)" >&2
	exit 1
}
BIN="$(fleettop_bin measure-ssh.sh)"
# What `exec sh` reads on every poll (the probe, a fixed marker). A debug
# build: the text is the same, and a release example would build the
# dependencies again with the dev-dependencies' features (minutes here).
PROBE="$(cargo run -q --example probe_command)"

WORK="$(mktemp -d /tmp/fleettop-measure-ssh.XXXXXX)"
SOCKET="fleettop-measure-ssh-$$"
SSHD_PID=""
MADE_USER=""
cleanup_extra() {
	if [ -n "$SSHD_PID" ]; then
		for p in $(descendants "$SSHD_PID"); do kill -9 "$p" 2>/dev/null || true; done
		kill "$SSHD_PID" 2>/dev/null || true
		wait "$SSHD_PID" 2>/dev/null || true
	fi
	# After its processes are gone (userdel refuses a user still running).
	if [ -n "$MADE_USER" ]; then
		pkill -9 -u "$MADE_USER" 2>/dev/null || true
		for _ in 1 2 3 4 5; do
			userdel "$MADE_USER" 2>/dev/null && break
			sleep 1
		done
	fi
}
# shellcheck source=scripts/measure-lib.sh
. "$ROOT/scripts/measure-lib.sh"

ssh-keygen -q -t ed25519 -N "" -f "$WORK/host_key"
ssh-keygen -q -t ed25519 -N "" -f "$WORK/client_key"
cp "$WORK/client_key.pub" "$WORK/authorized_keys"
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
USER_NAME=fleettop-m
if ! id "$USER_NAME" >/dev/null 2>&1; then
	useradd --system --no-create-home --home-dir / --shell /bin/sh "$USER_NAME"
	MADE_USER="$USER_NAME"
fi
# A locked password ("!") would refuse even a key login without PAM.
usermod -p '*' "$USER_NAME"
chmod 755 "$WORK"
chmod 644 "$WORK/authorized_keys"
mkdir -p /run/sshd
cat >"$WORK/sshd_config" <<CONF
Port $PORT
ListenAddress 127.0.0.1
HostKey $WORK/host_key
AuthorizedKeysFile $WORK/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PidFile $WORK/sshd.pid
LogLevel ERROR
# Every host connects at once at start.
MaxStartups $((HOSTS + 50))
SetEnv PYENV_REHASH_TIMEOUT=1
CONF
/usr/sbin/sshd -D -f "$WORK/sshd_config" -E "$WORK/sshd.log" &
SSHD_PID=$!
for _ in $(seq 100); do
	(exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break
	sleep 0.1
done
echo "[127.0.0.1]:$PORT $(cut -d' ' -f1,2 "$WORK/host_key.pub")" >"$WORK/known_hosts"

hosts_config() { # FILE COUNT INTERVAL
	# The start events ("h001 up") expire during the warm-up: the ticker is
	# still, as in steady state.
	printf '[alerts]\nevent_ttl = "20s"\n\n' >"$1"
	for i in $(seq -w 1 "$2"); do
		cat >>"$1" <<CONF
[[hosts]]
name = "h$i"
ssh = "$USER_NAME@127.0.0.1:$PORT"
identity_file = "$WORK/client_key"
known_hosts = "$WORK/known_hosts"
interval = "$3"
gpu = "off"

CONF
	done
}

CLK_TCK="$(getconf CLK_TCK)"
ms() { # TICKS COUNT -> milliseconds per item
	awk -v t="$1" -v n="$2" -v hz="$CLK_TCK" 'BEGIN { printf "%.1f", t / hz * 1000 / n }'
}

# --- 1a. a fresh ssh per poll
echo "measure-ssh.sh: $POLLS polls, a fresh ssh each" >&2
S0="$(tree_ticks "$SSHD_PID")"
C0="$(awk '{ print $16 + $17 }' /proc/$$/stat)"
for _ in $(seq "$POLLS"); do
	ssh -T -o BatchMode=yes -o StrictHostKeyChecking=yes -o UserKnownHostsFile="$WORK/known_hosts" \
		-i "$WORK/client_key" -p "$PORT" "$USER_NAME@127.0.0.1" "exec sh" <<<"$PROBE" >/dev/null
done
C1="$(awk '{ print $16 + $17 }' /proc/$$/stat)"
S1="$(tree_ticks "$SSHD_PID")"
SPAWN_HOST="$(ms $((S1 - S0)) "$POLLS")"
SPAWN_CLIENT="$(ms $((C1 - C0)) "$POLLS")"

# --- 1b. fleettop's kept connection, one host every second
hosts_config "$WORK/one.toml" 1 1s
start_server
start_session one "$BIN" --config "$WORK/one.toml" --log-file "$WORK/one.log"
FT="$(pane_pid one)"
sleep 4
S0="$(tree_ticks "$SSHD_PID")"
F0="$(cpu_ticks "$FT")"
echo "measure-ssh.sh: $POLLS polls on fleettop's one connection" >&2
sleep "$POLLS"
S1="$(tree_ticks "$SSHD_PID")"
F1="$(cpu_ticks "$FT")"
KEPT_HOST="$(ms $((S1 - S0)) "$POLLS")"
KEPT_CLIENT="$(ms $((F1 - F0)) "$POLLS")"
tm kill-session -t one
for p in $(descendants "$SSHD_PID"); do kill -9 "$p" 2>/dev/null || true; done

# --- 2. HOSTS hosts every 5 s
hosts_config "$WORK/fleet.toml" "$HOSTS" 5s
start_session fleet "$BIN" --config "$WORK/fleet.toml" --log-file "$WORK/fleet.log"
FT="$(pane_pid fleet)"
WARMUP=45
echo "measure-ssh.sh: $HOSTS hosts, warming up ${WARMUP}s" >&2
sleep "$WARMUP"
T0="$(now)"
F0="$(cpu_ticks "$FT")"
B0="$(file_size "$WORK/fleet.out")"
echo "measure-ssh.sh: measuring ${DURATION}s" >&2
STEADY="$(max_rss_over "$FT" "$DURATION")"
T1="$(now)"
F1="$(cpu_ticks "$FT")"
B1="$(file_size "$WORK/fleet.out")"
PEAK="$(peak_rss_kib "$FT")"
ANON="$(anon_rss_kib "$FT")"
SCREEN="$(tm capture-pane -p -t fleet)"
# fleettop's TCP connections to the sshd (ESTABLISHED is state 01;
# the port is hex in /proc/net/tcp).
CONNS="$(awk -v port="$(printf ':%04X' "$PORT")" '$3 ~ port"$" && $4 == "01"' /proc/net/tcp | wc -l)"

echo
echo "Cost on the monitored host per poll ($POLLS polls, $(nproc) cores; sshd and the probe's processes):"
echo
echo "| way | monitored host CPU ms/poll | client CPU ms/poll |"
echo "| --- | ---: | ---: |"
echo "| a fresh \`ssh\` process per poll | $SPAWN_HOST | $SPAWN_CLIENT |"
echo "| fleettop's kept connection | $KEPT_HOST | $KEPT_CLIENT (whole fleettop, UI included) |"
echo
awk -v t0="$T0" -v t1="$T1" -v hz="$CLK_TCK" -v c0="$F0" -v c1="$F1" -v b0="$B0" -v b1="$B1" \
	-v peak="$PEAK" -v anon="$ANON" -v steady="$STEADY" -v hosts="$HOSTS" -v conns="$CONNS" 'BEGIN {
	wall = t1 - t0
	printf "%d hosts over SSH every 5 s, %d s at 100x30: fleettop %.2f %% of a core, RSS %.1f MiB (the most while measuring; %.1f MiB private at the end, the rest the binary mapped from the page cache; %.1f MiB peak since start, the connect burst included), %.0f bytes/s to the terminal; %d connections open.\n",
		hosts, wall, (c1 - c0) / hz / wall * 100, steady / 1024, anon / 1024, peak / 1024, (b1 - b0) / wall, conns
}'
echo
echo "The Fleet tab at the end:"
echo "$SCREEN" | head -n 3
echo "$SCREEN" | tail -n 2
