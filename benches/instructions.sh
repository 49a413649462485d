#!/bin/sh
# Instructions per case in the engine's hot path, counted by callgrind (valgrind): the same
# number for the same binary and inputs, whatever else the machine is doing — for telling apart
# changes of a few per cent, which the timed benchmark cannot on a shared two-core machine.
#
# Counted: the benchmark's case driver with every use case it calls (the request side) and the
# SQLite group-commit writer's transactions (the writer). Not counted: set-up, the untimed checks
# after the run, the checkpointer, the tokio scheduler, the kernel. Valgrind runs one thread at a
# time, so the writer's batches are smaller than in a real run (about 30 commits per transaction
# instead of about 115) and its figure is per step at that batch size.
#
# Usage: benches/instructions.sh [CASES]   (default 500; build first:
#        cargo build --release -p bench). ENGINE_BENCH names another binary, to compare two;
#        KEEP=1 keeps the callgrind files (one per thread) for callgrind_annotate.
set -eu

cases=${1:-500}
bin=${ENGINE_BENCH:-target/release/engine-bench}
command -v valgrind >/dev/null || { echo "valgrind is not installed" >&2; exit 2; }
[ -x "$bin" ] || { echo "$bin not found: cargo build --release -p bench" >&2; exit 2; }

dir=$(mktemp -d)
trap '[ -n "${KEEP:-}" ] || rm -rf "$dir"' EXIT

if ! valgrind --tool=callgrind --collect-atstart=no --separate-threads=yes \
    --toggle-collect='engine_bench::case::run::*' \
    --toggle-collect='store::sqlite_writer::write_batch' \
    --callgrind-out-file="$dir/callgrind.out" \
    "$bin" --cases "$cases" --concurrency 64 --direct-cases 0 --dir "$dir" >"$dir/log" 2>&1; then
    tail -20 "$dir/log" >&2
    echo "the benchmark failed under valgrind" >&2
    exit 1
fi

# One output file per thread (collection is toggled per thread); the writer's is the one that
# ran write_batch, every other counted thread is a tokio worker running the case drivers.
request=0
writer=0
for f in "$dir"/callgrind.out-*; do
    n=$(sed -n 's/^totals: *\([0-9]*\).*/\1/p' "$f")
    [ -n "$n" ] || n=$(sed -n 's/^summary: *\([0-9]*\).*/\1/p' "$f")
    [ -n "$n" ] || continue
    if grep -q 'sqlite_writer::write_batch' "$f"; then
        writer=$((writer + n))
    else
        request=$((request + n))
    fi
done
per_tx=$(grep -o 'writer busy: [0-9]* % ([0-9.]* per transaction)' "$dir/log" | head -1 | sed 's/.*(\([0-9.]*\) per.*/\1/')
[ "$request" -gt 0 ] && [ "$writer" -gt 0 ] || { echo "no counts found in the callgrind output" >&2; exit 1; }

awk -v r="$request" -v w="$writer" -v n="$cases" -v t="$per_tx" 'BEGIN {
    printf "instructions per case (callgrind, %d cases, 64 in flight): request side %.3f M, writer %.3f M (%s commits per transaction), together %.3f M\n",
        n, r / n / 1e6, w / n / 1e6, t, (r + w) / n / 1e6
}'
if [ -n "${KEEP:-}" ]; then echo "callgrind files kept in $dir" >&2; fi
