#!/usr/bin/env bash
# Builds fleettop for a Raspberry Pi (Pi 3/4/5, Zero 2 W, any 64-bit ARM
# Linux) as ONE static release binary: target aarch64-unknown-linux-musl,
# linked by Zig through `cargo zigbuild`. The result needs no libc, no
# loader and no shared library on the Pi: copy it there and run it.
#
#   scripts/build-pi.sh            # build, then print the path and size
#
# Installs what is missing, and only that (a second run installs nothing):
# the Rust target (rustup), Zig (the `ziglang` Python package, pip; pip
# itself from apt when missing) and cargo-zigbuild (cargo install). Then it
# checks with readelf that the binary has no program interpreter and no
# NEEDED entry, and fails if it has either.
# The build runs under `nice` (FLEETTOP_NICE, default 10).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

TARGET=aarch64-unknown-linux-musl
BIN="target/$TARGET/release/fleettop"

say() { echo "build-pi: $*"; }
die() {
	echo "build-pi: error: $*" >&2
	exit 1
}

if ! command -v cargo >/dev/null 2>&1 && [ -f "$HOME/.cargo/env" ]; then
	# shellcheck disable=SC1091
	. "$HOME/.cargo/env"
fi
command -v cargo >/dev/null 2>&1 || die "cargo not found (install Rust with rustup)"

# The standard library for the target.
if ! rustup target list --installed | grep -qx "$TARGET"; then
	say "adding the Rust target $TARGET"
	rustup target add "$TARGET"
fi

# Zig: on PATH, or the one pip's `ziglang` package ships (cargo-zigbuild
# runs `python3 -m ziglang` when there is no `zig` on PATH).
if ! command -v zig >/dev/null 2>&1 && ! python3 -m ziglang version >/dev/null 2>&1; then
	if ! python3 -m pip --version >/dev/null 2>&1; then
		[ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1 ||
			die "python3 with pip is needed for Zig (apt-get install python3-pip)"
		say "installing python3-pip (apt-get)"
		apt-get update -qq || say "warning: apt-get update failed"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends python3-pip </dev/null
	fi
	say "installing Zig: python3 -m pip install ziglang"
	# A system Python managed by Debian refuses pip without this flag.
	python3 -m pip install --quiet ziglang ||
		python3 -m pip install --quiet --break-system-packages ziglang ||
		die "pip install ziglang failed"
	python3 -m ziglang version >/dev/null 2>&1 || die "python3 -m ziglang does not run after the install"
fi

if ! command -v cargo-zigbuild >/dev/null 2>&1; then
	say "installing cargo-zigbuild: cargo install cargo-zigbuild --locked"
	nice -n "${FLEETTOP_NICE:-10}" cargo install cargo-zigbuild --locked
fi

say "cargo zigbuild --release --locked --target $TARGET"
nice -n "${FLEETTOP_NICE:-10}" cargo zigbuild --release --locked --target "$TARGET"

[ -x "$BIN" ] || die "no binary at $BIN after the build"

# Static means: no program interpreter (the dynamic loader) and no shared
# library to load. readelf prints both for a dynamic binary.
headers=$(readelf -d -l "$BIN")
if grep -q 'INTERP' <<<"$headers"; then
	die "$BIN asks for a program interpreter: not static"
fi
if grep -q '(NEEDED)' <<<"$headers"; then
	die "$BIN needs shared libraries: $(grep '(NEEDED)' <<<"$headers" | tr -s ' ' | tr '\n' ';')"
fi
machine=$(readelf -h "$BIN" | sed -n 's/^ *Machine: *//p')
[ "$machine" = "AArch64" ] || die "$BIN is for '$machine', not AArch64"

size=$(stat -c %s "$BIN")
say "static $machine binary: $BIN"
say "size: $size bytes ($(awk -v b="$size" 'BEGIN { printf "%.1f MB", b / 1e6 }'))"
say "no INTERP, no NEEDED (readelf -d -l)"
