#!/bin/sh
# A demo fleet on loopback, to try fleettop and to measure it on:
#
#   scripts/demo-fleet.sh start DIR   # then: fleettop --config DIR/fleettop.toml
#   scripts/demo-fleet.sh stop DIR
#
# `start` builds and runs examples/demo_fleet.rs detached (its own session;
# pid in DIR/demo.pid, log in DIR/demo.log): a nats-server with JetStream and
# agent runs in both event formats (a few a minute), an HTTP server with a
# healthy and a failing endpoint, and, as root, an sshd playing three hosts
# and a dockerd with two containers. It starts the servers with the code the
# integration tests use (tests/it/common/). `stop` stops it and every
# process it started. DEMO_PROFILE=dev builds without optimisation (faster
# to build); the default is release.
set -eu

usage() { echo "usage: $0 start|stop DIR" >&2; exit 2; }
[ $# -eq 2 ] || usage
cmd=$1
dir=$2
cd "$(dirname "$0")/.."

alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }

case "$cmd" in
start)
    mkdir -p "$dir"
    if [ -f "$dir/demo.pid" ] && alive "$(cat "$dir/demo.pid")"; then
        echo "a demo already runs in $dir (pid $(cat "$dir/demo.pid"))" >&2
        exit 1
    fi
    profile=${DEMO_PROFILE:-release}
    cargo build --quiet --profile "$profile" --example demo_fleet
    case "$profile" in dev) sub=debug ;; *) sub=$profile ;; esac
    bin=${CARGO_TARGET_DIR:-target}/$sub/examples/demo_fleet
    [ "$(id -u)" -eq 0 ] || echo "not root: no sshd hosts and no dockerd (they need root); starting the rest"
    rm -f "$dir/fleettop.toml"
    setsid "$bin" start "$dir" >"$dir/demo.log" 2>&1 </dev/null &
    pid=$!
    i=0
    while [ ! -f "$dir/fleettop.toml" ]; do
        if ! alive "$pid"; then
            echo "the demo stopped; its log:" >&2
            cat "$dir/demo.log" >&2
            exit 1
        fi
        i=$((i + 1))
        [ $i -lt 1200 ] || { echo "the demo did not come up in 2 minutes; see $dir/demo.log" >&2; exit 1; }
        sleep 0.1
    done
    cat "$dir/demo.log"
    ;;
stop)
    [ -f "$dir/demo.pid" ] || { echo "no demo runs in $dir" >&2; exit 0; }
    pid=$(cat "$dir/demo.pid")
    pids=$(cat "$dir/pids" 2>/dev/null || true)
    kill -TERM "$pid" 2>/dev/null || true
    i=0
    while alive "$pid" && [ $i -lt 300 ]; do i=$((i + 1)); sleep 0.1; done
    # Whatever did not stop with it (it was killed, or a child hung): by id.
    for p in $pid $pids; do
        if alive "$p"; then kill -KILL "$p" 2>/dev/null || true; fi
    done
    rm -f "$dir/demo.pid" "$dir/pids" "$dir/fleettop.toml"
    echo "stopped"
    ;;
*) usage ;;
esac
