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

# A command that stops a script under set -e says which one and where, also
# in functions and subshells: a CI log then shows why a suite stopped.
set -E
trap 'echo "FAIL: ${BASH_SOURCE[0]}:$LINENO: \"$BASH_COMMAND\" exited with status $?" >&2' ERR

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

# The closing line; ends the script, its exit status telling whether every
# check passed.
finish() {
	echo "$passed passed, $failed failed"
	exit $((failed > 0))
}

# failed_checks LOG: the first 20 "not ok" lines of a suite's output, also
# those of the suites it ran itself ("# e2e: not ok - ..."), for a CI page
# that shows only the end of a run.
failed_checks() {
	{ grep -E '(^|[#:] )not ok - ' "$1" || true; } | head -n 20
}
