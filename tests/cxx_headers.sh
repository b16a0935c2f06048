#!/bin/sh
# SPDX-License-Identifier: MIT
# Every public header, alone and through <mkrt.h>, compiles warning-free as
# C++11, C++14, C++17 and C++20 and as C11 (-pedantic): a program in either
# language can include what `make install` puts in include/.
set -eu
: "${top_srcdir:=.}"
: "${CC:=cc}"
: "${CXX:=c++}"
inc="$top_srcdir/include"
if ! command -v "${CXX%% *}" >/dev/null 2>&1; then
	echo "SKIP: no C++ compiler ($CXX). Fix: apt-get install g++"
	exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
checked=0
for h in mkrt.h $(cd "$inc" && ls mkrt/*.h); do
	printf '#include <%s>\nint mkrt_header_user(void);\nint mkrt_header_user(void) { return 0; }\n' "$h" \
		>"$tmp/use.c"
	cp "$tmp/use.c" "$tmp/use.cc"
	for std in c++11 c++14 c++17 c++20; do
		$CXX -std=$std -Wall -Wextra -pedantic -Werror -fsyntax-only -I"$inc" "$tmp/use.cc" ||
			{ echo "FAIL: <$h> as $std"; exit 1; }
		checked=$((checked + 1))
	done
	$CC -std=c11 -Wall -Wextra -pedantic -Werror -fsyntax-only -I"$inc" "$tmp/use.c" ||
		{ echo "FAIL: <$h> as C11"; exit 1; }
	checked=$((checked + 1))
done
echo "public headers: $checked compiles (each header, C++11/14/17/20 and C11), no warnings"
