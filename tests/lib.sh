# shellcheck shell=bash
# What the test scripts share: logging, failing, and counted checks that end
# with a "N passed, N failed" line.

log() {
	echo "[$(date +%T)] $*" >&2
}

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

passed=0
failed=0

# check "what" COMMAND...: one "ok"/"not ok" line.
check() {
	local what=$1
	shift
	if "$@"; then
		echo "ok - $what"
		passed=$((passed + 1))
	else
		echo "not ok - $what"
		failed=$((failed + 1))
	fi
}

# The closing line; the exit status tells whether every check passed.
finish() {
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ]
}
