#!/usr/bin/env bash
# Runs every fuzz target in fuzz/ (or those named) for SECONDS each, one at a
# time, at the lowest CPU priority; then prints target, seconds, executions
# and crashes. Not part of CI (it needs nightly):
#   rustup toolchain install nightly --profile minimal && cargo install cargo-fuzz
#
# usage: scripts/fuzz.sh [SECONDS] [TARGET...]     (default 60 s each)
#        FUZZ_NICE=10 scripts/fuzz.sh ...           (niceness, default 19)
#
# Targets are built in release mode with debug assertions and overflow checks
# (cargo fuzz's default) and no sanitizer: the code under test is safe Rust,
# what is hunted is a panic. A target's corpus, fuzz/corpus/TARGET, is kept
# between runs and seeded from fuzz/seeds/TARGET and the fixtures that
# fuzz/seeds.txt names. A crash leaves its input in fuzz/artifacts/TARGET/
# (replay: cargo +nightly fuzz run -s none TARGET FILE) and the script fails;
# libFuzzer's output is in fuzz/logs/TARGET.log; fuzz/dicts/TARGET.dict, if
# there is one, is its dictionary.
set -euo pipefail
cd "$(dirname "$0")/.."

nice=${FUZZ_NICE:-19}
secs=${1:-60}
shift || true
if [ $# -gt 0 ]; then
    targets=("$@")
else
    mapfile -t targets < <(cargo +nightly fuzz list)
fi

nice -n "$nice" cargo +nightly fuzz build -s none

# Copies the seeds of $1 into its corpus, named by content.
seed() {
    local t=$1 corpus=fuzz/corpus/$1 p f paths=()
    mkdir -p "$corpus"
    read -r -a paths < <(awk -v t="$t" '$1 == t { $1 = ""; print }' fuzz/seeds.txt) || true
    for p in "${paths[@]}" "fuzz/seeds/$t"; do
        [ -e "$p" ] || continue
        find "$p" -type f | while read -r f; do
            cp "$f" "$corpus/seed-$(sha1sum "$f" | cut -c1-16)"
        done
    done
}

mkdir -p fuzz/logs
failed=0
summary="target seconds executions crash-files"
for t in "${targets[@]}"; do
    seed "$t"
    log=fuzz/logs/$t.log
    echo "== $t: ${secs}s" >&2
    status=0
    dict=()
    [ -f "fuzz/dicts/$t.dict" ] && dict=("-dict=fuzz/dicts/$t.dict")
    nice -n "$nice" cargo +nightly fuzz run -s none "$t" "fuzz/corpus/$t" -- \
        -max_total_time="$secs" -timeout=20 -print_final_stats=1 "${dict[@]}" >"$log" 2>&1 || status=$?
    runs=$(awk '/stat::number_of_executed_units/ { print $NF }' "$log" | tail -1)
    crashes=$(find "fuzz/artifacts/$t" -type f 2>/dev/null | wc -l)
    if [ "$status" -ne 0 ]; then
        failed=1
        grep -m1 -E "panicked at|ERROR: libFuzzer" "$log" >&2 || tail -5 "$log" >&2
    fi
    summary+=$'\n'"$t $secs ${runs:-?} $crashes"
done
column -t <<<"$summary"
exit "$failed"
