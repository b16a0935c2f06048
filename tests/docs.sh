#!/bin/sh
# SPDX-License-Identifier: MIT
# The documents cite only what the repository holds: every repository path
# that README.md, docs/*.md, cl/README.md and the examples' READMEs name in
# backquotes exists (or is a program the build makes), and the design the code's comments cite as "DESIGN §N"
# is docs/DESIGN.md, with that section; and the device handler's signature
# reads the same in the README, runtime.h and its example. A file git
# ignores is a build output, which a tarball does not hold: it counts only
# as a program the build makes.
set -eu
: "${top_srcdir:=.}"
fail() {
	echo "FAIL: $*"
	exit 1
}
cd "$top_srcdir"
in_git=false
[ "$(git rev-parse --show-toplevel 2>/dev/null)" = "$(pwd -P)" ] && in_git=true
# @1 is a file of the source tree: there, and not ignored by git where this
# is a git checkout's top (distcheck unpacks its tarball inside one, where
# every file there is one)
source_file() {
	[ -e "$1" ] && ! { $in_git && git check-ignore -q "$1"; }
}
n=0
for doc in README.md docs/*.md cl/README.md examples/*/README.md tests/repro/README.md; do
	for path in $(grep -o '`[a-z][a-zA-Z0-9_./-]*/[a-zA-Z0-9_.-]*`' "$doc" | tr -d '`' | sort -u); do
		case $path in
		*/*.[a-z]* | docs/* | cl/* | tests/* | examples/* | runtime/* | include/* | cli/*) ;;
		*) continue ;;
		esac
		case $path in
		/* | *PREFIX* | *.so* | build/* | fuzz/corpus/*) continue ;;
		esac
		first=${path%%/*}
		[ -e "$first" ] || continue # not a path of this repository (a URL's tail, /dev/...)
		# a file, or a program the build makes from path.c or names in
		# Makefile.am (tests/check_loadmiss_fine: tests_check_loadmiss_fine_SOURCES)
		am="$(printf '%s' "$path" | tr '/.-' '___')_SOURCES"
		source_file "$path" || [ -e "$path.c" ] || grep -q "^$am = " Makefile.am ||
			fail "$doc names $path, which is not in the repository"
		n=$((n + 1))
	done
done
for s in $(grep -rhoE 'DESIGN §[0-9]+' --include='*.c' --include='*.h' --include='*.cl' --include='*.md' \
	--include='*.sh' . | sed 's/DESIGN §//' | sort -un); do
	grep -q "^## $s\. " docs/DESIGN.md || fail "DESIGN §$s is cited, docs/DESIGN.md has no section $s"
done
# the device handler's signature is the same wherever it is written down
sig='(uint opcode, __private uint \*args, const struct mkrt_ctx \*ctx)'
for f in README.md include/mkrt/runtime.h examples/device_opcode/main.c; do
	grep -q "$sig" "$f" || fail "$f does not give the device handler's signature as $sig"
done
echo "$n repository paths named in the documents all exist; every DESIGN §N cited is in docs/DESIGN.md"
