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
