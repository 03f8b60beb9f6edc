# Sourced by the measurement scripts: which fleettop binary to measure.
# FLEETTOP_BIN=/path/to/fleettop names one and skips the build; otherwise the
# release binary is built here (its output on stderr) and its path printed.
# Needs ROOT (the repository) set.
fleettop_bin() {
	if [ -n "${FLEETTOP_BIN:-}" ]; then
		echo "$FLEETTOP_BIN"
		return
	fi
	echo "$1: cargo build --release" >&2
	cargo build --release >&2
	echo "$ROOT/target/release/fleettop"
}
