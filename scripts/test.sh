#!/usr/bin/env bash
# The project's test command.
#
# Installs what the tests need on a fresh Debian machine (only the packages
# that are missing; skipped with a note when neither root nor passwordless
# sudo), then runs every test target:
#
#   scripts/test.sh                 # all tests
#   scripts/test.sh tui_tmux        # extra arguments go to `cargo test`: a name
#                                   # filter, here the module tests/it/tui_tmux.rs
#                                   # of the one integration binary (tests/it)
#   FLEETTOP_IT=1 scripts/test.sh   # integration tests must not skip
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

# Debian packages the tests drive: tmux (whole-app TUI test), htop
# (side-by-side measurement), test servers (NATS, Docker, SSH, Syncthing),
# busybox-static (a tiny image for Docker tests), procps (ps, pgrep, kill),
# fish and zsh (login shells that are not POSIX sh, for the SSH probe).
PACKAGES=(tmux htop nats-server docker.io openssh-server busybox-static syncthing procps fish zsh openssl)

is_installed() {
	# No `grep -q`: it stops reading early, dpkg then dies of SIGPIPE and
	# pipefail would call an installed package missing.
	dpkg -s "$1" 2>/dev/null | grep '^Status: install ok installed$' >/dev/null
}

install_missing() {
	if ! command -v dpkg >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
		echo "test.sh: not a Debian-like system (no dpkg/apt-get); not installing: ${PACKAGES[*]}" >&2
		return 0
	fi
	local missing=() pkg
	for pkg in "${PACKAGES[@]}"; do
		is_installed "$pkg" || missing+=("$pkg")
	done
	if [ "${#missing[@]}" -eq 0 ]; then
		echo "test.sh: test packages present: ${PACKAGES[*]}"
		return 0
	fi

	local sudo=()
	if [ "$(id -u)" -ne 0 ]; then
		if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
			sudo=(sudo -n)
		else
			echo "test.sh: missing packages: ${missing[*]}" >&2
			echo "test.sh: not root and no passwordless sudo; skipping the install (tests that need them skip or fail)" >&2
			return 0
		fi
	fi

	echo "test.sh: installing: ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	if ! "${sudo[@]}" apt-get update -qq; then
		echo "test.sh: warning: apt-get update failed" >&2
	fi
	if ! "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}" </dev/null; then
		echo "test.sh: warning: apt-get install failed for: ${missing[*]}" >&2
	fi
}

install_missing

if ! command -v cargo >/dev/null 2>&1 && [ -f "$HOME/.cargo/env" ]; then
	# shellcheck disable=SC1091
	. "$HOME/.cargo/env"
fi

echo "test.sh: cargo test --all-targets --locked --no-fail-fast${*:+ $*}"
exec cargo test --all-targets --locked --no-fail-fast "$@"
