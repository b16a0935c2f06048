#!/bin/sh
# SPDX-License-Identifier: MIT
# libmkrt exports exactly its public mkrt_* API, versioned MKRT_0.1: no
# internal mkrt__ helpers, no stray symbols.
set -eu
: "${top_builddir:=.}"
lib="$top_builddir/.libs/libmkrt.so"
if [ ! -f "$lib" ]; then
	echo "SKIP: $lib not built (configured --disable-shared?)"
	exit 77
fi
syms=$(nm -D --defined-only "$lib" | awk '{print $3}')
bad=$(printf '%s\n' "$syms" | grep -v -e '^mkrt_[a-z].*@@MKRT_0\.1$' -e '^MKRT_0\.1$' || true)
if [ -n "$bad" ]; then
	echo "FAIL: unexpected exports:"
	printf '%s\n' "$bad"
	exit 1
fi
count=$(printf '%s\n' "$syms" | grep -c '^mkrt_')
for want in mkrt_encode_load_miss mkrt_decode_load_miss mkrt_strerror mkrt_submit mkrt_wait; do
	printf '%s\n' "$syms" | grep -q "^$want@@" || { echo "FAIL: $want not exported"; exit 1; }
done
echo "libmkrt exports $count mkrt_* symbols, all versioned MKRT_0.1"
