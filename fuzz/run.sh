#!/bin/sh
# SPDX-License-Identifier: MIT
# Run every fuzz target built by `make fuzz` for SECONDS each (default 60),
# starting from the committed seed corpus (copied: the run's finds stay
# out of the tree). Prints executions per target; a crash prints its
# reproducer (hex and base64) and makes the exit status 1.
#   fuzz/run.sh [SECONDS] [BUILDDIR]
set -u
seconds=${1:-60}
builddir=${2:-.}
srcdir=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/mkrt-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
failed=0

printf '%-18s %12s %10s %8s  %s\n' target executions exec/s corpus result
for bin in "$builddir"/fuzz/fuzz_*; do
	[ -x "$bin" ] || continue
	name=$(basename "$bin")
	mkdir -p "$work/$name/corpus"
	cp "$srcdir/fuzz/corpus/$name"/* "$work/$name/corpus/" 2>/dev/null
	"$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$work/$name/" "$work/$name/corpus" >"$work/$name/log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$name/log")
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$work/$name/log")
	files=$(ls "$work/$name/corpus" | wc -l)
	if [ $rc -eq 0 ]; then
		printf '%-18s %12s %10s %8s  %s\n' "$name" "${execs:-?}" "${rate:-?}" "$files" ok
		continue
	fi
	failed=1
	printf '%-18s %12s %10s %8s  %s\n' "$name" "${execs:-?}" "${rate:-?}" "$files" "FAILED (rc $rc)"
	echo "---- $name: the end of its log"
	tail -n 60 "$work/$name/log"
	for crash in "$work/$name"/crash-* "$work/$name"/timeout-* "$work/$name"/leak-* "$work/$name"/oom-*; do
		[ -f "$crash" ] || continue
		echo "---- reproducer $(basename "$crash") ($(wc -c <"$crash") bytes); replay: $bin FILE"
		od -A x -t x1 "$crash" | head -n 64
		echo "base64: $(base64 -w0 "$crash")"
	done
done
exit $failed
