# Sourced by the measurement scripts: which fleettop binary to measure.
# FLEETTOP_BIN=/path/to/fleettop names one and skips the build; otherwise the
# release binary is built here (its output on stderr) and its path printed.
# Needs ROOT (the repository) set. Also: `require_tools`, and cargo from
# rustup's env when it is not on PATH yet.
if ! command -v cargo >/dev/null 2>&1 && [ -f "$HOME/.cargo/env" ]; then
	# shellcheck disable=SC1091
	. "$HOME/.cargo/env"
fi

# require_tools SCRIPT TOOL...: exits 1 naming the first TOOL not on PATH.
require_tools() {
	local me="$1" tool
	shift
	for tool in "$@"; do
		command -v "$tool" >/dev/null 2>&1 || {
			echo "$me: '$tool' is required" >&2
			exit 1
		}
	done
}

# require_seconds SCRIPT USAGE VALUE: exits 2 saying USAGE unless VALUE is
# a whole number of seconds, at least 1.
require_seconds() {
	case "$3" in
	'' | *[!0-9]*)
		echo "usage: $2" >&2
		exit 2
		;;
	esac
	[ "$3" -ge 1 ] || {
		echo "$1: SECONDS must be at least 1" >&2
		exit 2
	}
}

# use_demo_fleet SCRIPT: the demo fleet in DEMO_DIR when it is set, else
# one started in a new temporary directory, which DEMO_DIR and STARTED_DEMO
# then name (stop_started_demo ends it). Needs ROOT.
use_demo_fleet() {
	if [ -z "${DEMO_DIR:-}" ]; then
		DEMO_DIR="$(mktemp -d /tmp/fleettop-demo.XXXXXX)"
		STARTED_DEMO="$DEMO_DIR"
		echo "$1: starting the demo fleet in $DEMO_DIR" >&2
		"$ROOT/scripts/demo-fleet.sh" start "$DEMO_DIR" >&2
	fi
}

# stop_started_demo: stops and removes the fleet use_demo_fleet started.
stop_started_demo() {
	if [ -n "${STARTED_DEMO:-}" ]; then
		"$ROOT/scripts/demo-fleet.sh" stop "$STARTED_DEMO" >&2 || true
		rm -rf "$STARTED_DEMO"
	fi
}

fleettop_bin() {
	if [ -n "${FLEETTOP_BIN:-}" ]; then
		echo "$FLEETTOP_BIN"
		return
	fi
	echo "$1: cargo build --release" >&2
	cargo build --release >&2
	echo "$ROOT/target/release/fleettop"
}
