#!/bin/sh
# SPDX-License-Identifier: MIT
# loaded.sh COMMAND... - run COMMAND while one CPU hog per core keeps every
# core busy, as a shared CI runner or a developer's build would. The suite
# must pass like this: no test may depend on how fast anything runs. The
# hogs are this script's own children, ended by their PIDs however COMMAND
# ends. `make check-loaded` runs the whole suite this way.
set -u
cores=$(nproc 2>/dev/null || echo 2)
hogs=""
stop_hogs() {
	[ -n "$hogs" ] && kill $hogs 2>/dev/null
	hogs=""
}
trap stop_hogs EXIT
trap 'stop_hogs; exit 130' INT
trap 'stop_hogs; exit 143' TERM
i=0
while [ "$i" -lt "$cores" ]; do
	sh -c 'while :; do :; done' &
	hogs="$hogs $!"
	i=$((i + 1))
done
echo "loaded.sh: $cores CPU hogs running (PIDs$hogs): $*"
"$@"
rc=$?
stop_hogs
echo "loaded.sh: hogs ended; $* exited $rc"
exit $rc
