#!/bin/bash
# The test library (tests/lib.sh) itself: a script that set -e stops says
# which command stopped it and where, even in a background function, and
# says nothing for a failure it handles; finish ends the script with the
# checks' verdict.
#
# usage: tests/lib-test.sh
# shellcheck disable=SC2016 # the stand-ins' bodies expand in their own script
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/lib.sh
. "$here/lib.sh"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# stand_in BODY: runs BODY as a script that sources tests/lib.sh; prints its
# output and "exit N".
stand_in() {
	printf 'set -euo pipefail\n. %s/lib.sh\n%s\n' "$here" "$1" >"$work/stand-in.sh"
	local status=0
	bash "$work/stand-in.sh" >"$work/out" 2>&1 || status=$?
	cat "$work/out"
	echo "exit $status"
}

out=$(stand_in 'runner() { echo x | grep -q y; echo "not reached"; }
runner &
wait $! || fail "the runner stopped"')
check "a stop in a background function names the command and its line; nothing after it runs" \
	[ "$out" = "FAIL: $work/stand-in.sh:3: \"grep -q y\" exited with status 1
FAIL: the runner stopped
exit 1" ]

out=$(stand_in 'grep -q y /dev/null || echo handled
if false; then :; fi
x=$(false || true)
echo done')
check "a failure the script handles is not reported" \
	[ "$out" = "handled
done
exit 0" ]

check "finish exits 1 when a check failed" \
	[ "$(stand_in 'check "one" true; check "two" false; finish; echo "not reached"')" = "ok - one
not ok - two
1 passed, 1 failed
exit 1" ]
check "finish exits 0 when every check passed" \
	[ "$(stand_in 'check "one" true; finish')" = "ok - one
1 passed, 0 failed
exit 0" ]
finish
