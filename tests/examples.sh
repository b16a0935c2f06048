#!/bin/sh
# SPDX-License-Identifier: MIT
# The examples run and check themselves; the README's API example is
# examples/quickstart/main.c, verbatim.
set -eu
: "${top_srcdir:=.}" "${top_builddir:=.}"
ex="$top_builddir/examples"

# the README shows quickstart/main.c from its #include line on
sed -n '/^#include <stdio.h>/,$p' "$top_srcdir/examples/quickstart/main.c" >"${TMPDIR:-/tmp}/qs.$$"
sed -n '/^<!-- quickstart -->/,/^<!-- \/quickstart -->/p' "$top_srcdir/README.md" |
	sed -e '1,2d' -e '$d' | sed '$d' | diff -u "${TMPDIR:-/tmp}/qs.$$" - ||
	{ rm -f "${TMPDIR:-/tmp}/qs.$$"; echo "FAIL: README example differs from examples/quickstart/main.c"; exit 1; }
rm -f "${TMPDIR:-/tmp}/qs.$$"

# a bad argument: the usage, exit 2, before anything is opened or written
for bad in "load_miss_roundtrip/load_miss_roundtrip abc" "load_miss_roundtrip/load_miss_roundtrip 10 0" \
	"resource_cache/resource_cache -5" "load_miss_slots/load_miss_slots 1e9"; do
	set +e
	# shellcheck disable=SC2086
	"$ex"/$bad >/dev/null 2>"${TMPDIR:-/tmp}/ex.$$"
	rc=$?
	set -e
	grep -q '^usage: ' "${TMPDIR:-/tmp}/ex.$$" && [ $rc = 2 ] ||
		{ echo "FAIL: examples/$bad: exit $rc, $(cat "${TMPDIR:-/tmp}/ex.$$")"; exit 1; }
done
rm -f "${TMPDIR:-/tmp}/ex.$$"
echo "the examples refuse bad arguments with their usage (exit 2)"

"$ex/load_miss_slots/load_miss_slots" 2000 100
MKRT_BACKEND=host "$ex/load_miss_roundtrip/load_miss_roundtrip" 3000 500
MKRT_BACKEND=host "$ex/resource_cache/resource_cache" 1500
for backend in host svm; do
	if [ $backend = svm ] && ! "$top_builddir/cli/mkrt" devices >/dev/null 2>&1; then
		echo "no OpenCL device: svm examples not run"
		continue
	fi
	MKRT_BACKEND=$backend "$ex/quickstart/quickstart"
	MKRT_BACKEND=$backend "$ex/device_opcode/device_opcode"
	MKRT_BACKEND=$backend "$ex/load_miss_roundtrip/load_miss_roundtrip" 3000 500
	MKRT_BACKEND=$backend "$ex/resource_cache/resource_cache" 1500
done

# A producer in another process, through mkrt serve's shared-memory ring.
tmp="${TMPDIR:-/tmp}/mkrt-serve.$$"
mkdir -p "$tmp"
seg="/mkrt-examples-$$"
head -c $((4096 * 200)) /dev/urandom >"$tmp/records.bin"
"$top_builddir/cli/mkrt" serve --name "$seg" --data "$tmp/records.bin" --seconds 600 --stats 1 \
	>"$tmp/serve.out" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; rm -rf "$tmp"' EXIT
# wait_for ERE WHAT: until the server's output has a line matching ERE, with
# a watchdog of two minutes (never a bound on speed)
wait_for() {
	i=0
	until grep -Eq "$1" "$tmp/serve.out"; do
		i=$((i + 1))
		if [ $i -gt 1200 ] || ! kill -0 $server 2>/dev/null; then
			cat "$tmp/serve.out"
			echo "FAIL: mkrt serve $2"
			exit 1
		fi
		sleep 0.1
	done
}
wait_for '^serving' "did not come up"
"$ex/shm_producer/shm_producer" "$seg" "$tmp/records.bin" 2000
# --stats: a line a second; one of them saw the producer
wait_for '^stats [0-9.]+s: .*; producer 1 \(pid [0-9]+\): [1-9][0-9]* slots/s, 0 faults' \
	"--stats said nothing of the producer"
kill -TERM $server
wait $server
cat "$tmp/serve.out"
grep -q '^served: 2000 forwarded, 2000 completed, 0 rejected' "$tmp/serve.out" ||
	{ echo "FAIL: mkrt serve did not account for 2000 slots"; exit 1; }
