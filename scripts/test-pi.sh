#!/usr/bin/env bash
# Runs the static Raspberry Pi binary (scripts/build-pi.sh) on this x86
# machine under qemu-aarch64-static, against real parts:
#
#   --version              the version of this checkout
#   snapshot               JSON from the embedded default config, this
#                          machine's name and memory as /proc says
#   check                  a summary, exit 0/1/2
#   config check           a bad file: exit 3, PATH:LINE:COLUMN: message
#   agent                  publishes to a real nats-server -js; this
#                          checkout's x86 fleettop (discover = "nats") sees
#                          the host online; SIGTERM ends it cleanly
#
#   scripts/test-pi.sh                       # builds first (scripts/build-pi.sh)
#   FLEETTOP_PI_BIN=path scripts/test-pi.sh  # tests that binary, no build
#   FLEETTOP_VIEWER=path                     # the x86 viewer (else target/debug)
#
# The TUI is not run: Debian's qemu-user does not emulate the TCGETS2
# ioctl that terminal set-up uses (a real Pi kernel has it).
# Installs qemu-user-static and nats-server when missing (Debian, root or
# passwordless sudo). Ends with "pi: N passed, N failed"; exit 1 on a failure.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

say() { echo "test-pi: $*"; }
die() {
	echo "test-pi: error: $*" >&2
	exit 1
}

if ! command -v cargo >/dev/null 2>&1 && [ -f "$HOME/.cargo/env" ]; then
	# shellcheck disable=SC1091
	. "$HOME/.cargo/env"
fi

QEMU=${FLEETTOP_QEMU:-qemu-aarch64-static}
NATS_SERVER=/usr/sbin/nats-server

# Debian packages: install the missing ones.
apt_install() {
	local sudo=()
	if [ "$(id -u)" -ne 0 ]; then
		sudo -n true 2>/dev/null || die "need $* (not root, no passwordless sudo)"
		sudo=(sudo -n)
	fi
	say "installing: $*"
	export DEBIAN_FRONTEND=noninteractive
	"${sudo[@]}" apt-get update -qq || say "warning: apt-get update failed"
	"${sudo[@]}" apt-get install -y -q --no-install-recommends "$@" </dev/null
}
command -v "$QEMU" >/dev/null 2>&1 || apt_install qemu-user-static
[ -x "$NATS_SERVER" ] || apt_install nats-server
command -v python3 >/dev/null 2>&1 || apt_install python3

if [ -n "${FLEETTOP_PI_BIN:-}" ]; then
	PI_BIN=$FLEETTOP_PI_BIN
else
	scripts/build-pi.sh
	PI_BIN=target/aarch64-unknown-linux-musl/release/fleettop
fi
[ -x "$PI_BIN" ] || die "no Pi binary at $PI_BIN"

# The viewer: this checkout's own fleettop for this machine (a no-op build
# after the test suite), or FLEETTOP_VIEWER.
if [ -n "${FLEETTOP_VIEWER:-}" ]; then
	VIEWER=$FLEETTOP_VIEWER
else
	say "cargo build --locked --bin fleettop (the x86 viewer)"
	cargo build --locked --quiet --bin fleettop
	VIEWER=target/debug/fleettop
fi

WORK=$(mktemp -d)
PIDS=()
cleanup() {
	local pid
	for pid in "${PIDS[@]}"; do
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	rm -rf "$WORK"
}
trap cleanup EXIT

# Every run: no user config, state and logs in the scratch folder.
export XDG_CONFIG_HOME="$WORK/config" XDG_STATE_HOME="$WORK/state"
unset FLEETTOP_CONFIG
mkdir -p "$XDG_CONFIG_HOME" "$XDG_STATE_HOME"

pi() { timeout 120 "$QEMU" "$PI_BIN" "$@"; }

PASSED=0
FAILED=0
ok() {
	PASSED=$((PASSED + 1))
	say "ok: $*"
}
fail() {
	FAILED=$((FAILED + 1))
	echo "test-pi: FAILED: $*" >&2
}

# A JSON check in Python: `json_test FILE 'python expression on s'`.
json_test() {
	python3 - "$1" "$2" <<-'PY'
		import json, sys
		s = json.load(open(sys.argv[1]))
		mem = int(next(l.split()[1] for l in open("/proc/meminfo") if l.startswith("MemTotal:"))) * 1024
		sys.exit(0 if eval(sys.argv[2], {"s": s, "mem": mem}) else 1)
	PY
}

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

say "binary: $PI_BIN ($(stat -c %s "$PI_BIN") bytes), under $QEMU"

# --version
want="fleettop $(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)"
got=$(pi --version 2>&1) || true
if [ "$got" = "$want" ]; then ok "--version: $got"; else fail "--version: '$got', want '$want'"; fi

# snapshot, the embedded default: this machine, seen from the ARM binary.
host=$(uname -n)
if pi snapshot >"$WORK/snap.json" 2>"$WORK/snap.err" &&
	json_test "$WORK/snap.json" "s['hosts'][0]['name'] == '$host' and s['hosts'][0]['state'] == 'online' and s['hosts'][0]['mem_total_bytes'] == mem and len(s['hosts'][0]['disks']) > 0"; then
	ok "snapshot: host $host online, MemTotal as /proc/meminfo says"
else
	fail "snapshot: $(head -c 600 "$WORK/snap.json") $(head -c 600 "$WORK/snap.err")"
fi

# check: one summary, exit 0 (ok), 1 (warning/error) or 2 (critical).
rc=0
pi check >"$WORK/check.out" 2>"$WORK/check.err" || rc=$?
if [ "$rc" -le 2 ] && grep -q 'hosts online' "$WORK/check.out"; then
	ok "check: exit $rc, $(tail -n 1 "$WORK/check.out")"
else
	fail "check: exit $rc: $(cat "$WORK/check.out" "$WORK/check.err")"
fi

# config check on a bad file: exit 3 and PATH:LINE:COLUMN.
bad="$WORK/bad.toml"
printf '[ui]\nticker_fps = 0\n' >"$bad"
rc=0
pi config check --config "$bad" >/dev/null 2>"$WORK/bad.err" || rc=$?
if [ "$rc" -eq 3 ] && grep -q "^$bad:2:14: ticker_fps" "$WORK/bad.err"; then
	ok "config check: exit 3, $(head -n 1 "$WORK/bad.err")"
else
	fail "config check: exit $rc: $(cat "$WORK/bad.err")"
fi

# agent: the ARM binary pushes this machine to a real JetStream server.
port=$(free_port)
mport=$(free_port)
"$NATS_SERVER" -js -sd "$WORK/js" -a 127.0.0.1 -p "$port" -m "$mport" >"$WORK/nats.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do
	(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
	sleep 0.1
done
url="nats://127.0.0.1:$port"
name=pi-under-qemu
printf '[[hosts]]\nname = "%s"\nlocal = true\ninterval = "1s"\ngpu = "off"\n\n[[nats]]\nname = "main"\nurl = "%s"\n' \
	"$name" "$url" >"$WORK/agent.toml"
printf '[fleet]\ndiscover = "nats"\nnats = "main"\n\n[[nats]]\nname = "main"\nurl = "%s"\n' "$url" >"$WORK/viewer.toml"
"$QEMU" "$PI_BIN" --config "$WORK/agent.toml" --log-file "$WORK/agent.log" agent >/dev/null 2>"$WORK/agent.err" &
agent=$!
PIDS+=("$agent")
seen=false
for _ in $(seq 60); do
	if "$VIEWER" --config "$WORK/viewer.toml" --log-file "$WORK/viewer.log" snapshot >"$WORK/view.json" 2>/dev/null &&
		json_test "$WORK/view.json" "any(h['name'] == '$name' and h['state'] == 'online' and h['mem_total_bytes'] == mem for h in s['hosts'])"; then
		seen=true
		break
	fi
	sleep 0.5
done
if $seen; then
	ok "agent: the x86 viewer sees $name online through $url"
else
	fail "agent: $name not online in the viewer: $(head -c 800 "$WORK/view.json") agent: $(cat "$WORK/agent.err" "$WORK/agent.log" 2>/dev/null | tail -n 5)"
fi
rc=0
kill -TERM "$agent" 2>/dev/null || rc=$?
if [ "$rc" -eq 0 ]; then
	wait "$agent" || rc=$?
fi
if [ "$rc" -eq 0 ] && grep -q 'agent exits' "$WORK/agent.log"; then
	ok "agent: exit 0 on SIGTERM"
else
	fail "agent: exit $rc on SIGTERM: $(tail -n 5 "$WORK/agent.log" 2>/dev/null)"
fi

echo "pi: $PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
