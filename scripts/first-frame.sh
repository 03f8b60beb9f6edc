#!/usr/bin/env bash
# Time from exec to the first complete frame, in a pty that answers nothing.
#
#   scripts/first-frame.sh [RUNS]        (default 20)
#
# Builds the release binary (FLEETTOP_BIN=/path skips the build), then starts
# it RUNS times in a fresh 100x30 pty (TERM=xterm-256color) with the embedded
# default configuration (HOME and the XDG directories point at an empty
# directory), and times each run from exec to the moment the frame's last
# row (the status line, ending in "all ok" or "N problems") has been read
# from the pty. Then it types q. The collectors fill the screen in after.
# Prints min / median / max in milliseconds and the load average.
set -euo pipefail

RUNS="${1:-20}"
case "$RUNS" in
'' | *[!0-9]* | 0)
	echo "usage: $0 [RUNS]" >&2
	exit 2
	;;
esac

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT="$(pwd)"
if ! command -v python3 >/dev/null 2>&1; then
	echo "first-frame.sh: 'python3' is required" >&2
	exit 1
fi
# shellcheck source=scripts/bin-lib.sh
. "$ROOT/scripts/bin-lib.sh"
BIN="$(fleettop_bin first-frame.sh)"
HOME_DIR="$(mktemp -d /tmp/fleettop-first-frame.XXXXXX)"
trap 'rm -rf "$HOME_DIR"' EXIT

python3 - "$BIN" "$RUNS" "$HOME_DIR" <<'PY'
import fcntl, os, pty, re, select, signal, statistics, struct, sys, termios, time

binary, runs, home = sys.argv[1], int(sys.argv[2]), sys.argv[3]
# The status line is the frame's last row; its right end is the summary.
DONE = re.compile(rb"quit.*(all ok|problems?) ", re.S)

def once():
    env = {"PATH": os.environ.get("PATH", ""), "HOME": home, "TERM": "xterm-256color",
           "XDG_CONFIG_HOME": home + "/config", "XDG_STATE_HOME": home + "/state"}
    t0 = time.perf_counter()
    pid, fd = pty.fork()
    if pid == 0:
        fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
        os.execve(binary, [binary], env)
    out, took = b"", None
    while time.perf_counter() - t0 < 10:
        r, _, _ = select.select([fd], [], [], 0.5)
        if not r:
            continue
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
        if DONE.search(out):
            took = (time.perf_counter() - t0) * 1000
            break
    os.write(fd, b"q")
    deadline = time.time() + 5
    while time.time() < deadline:
        if os.waitpid(pid, os.WNOHANG)[0]:
            break
        try:
            select.select([fd], [], [], 0.05) and os.read(fd, 65536)
        except OSError:
            pass
    else:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    os.close(fd)
    if took is None:
        sys.exit("first-frame: no complete frame within 10 s; the program wrote %r" % out[-400:])
    return took

times = sorted(once() for _ in range(runs))
load = open("/proc/loadavg").read().split()[:3]
print("exec to first complete frame, %d runs, 100x30, embedded default config" % runs)
print("  min %.1f ms   median %.1f ms   max %.1f ms" % (times[0], statistics.median(times), times[-1]))
print("  load average %s on %d CPUs" % (" ".join(load), os.cpu_count()))
PY
