#!/bin/bash
# The document checks can fail: on a copy of the documents, each injected
# fault (a stale version, an option the command no longer has, a README
# command line that the command rejects, a sample in an old layout, a link
# to a file that does not exist) fails tests/docs/check.py with the check
# that names it, and the removed option also fails the test of --help, the
# man page and the completion. The unchanged copy passes both.
#
# usage: check_test.sh PRINT_COMMAND_LINE KVM_EXITSTATS_MODEL
set -uo pipefail
printer=$(realpath "$1")
model=$(realpath "$2")
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/kes-docs.XXXXXX")
trap 'rm -rf "$work"' EXIT
failed=0

# A tree whose documents can be changed: README.md, docs/ and the man page
# copied, everything else linked.
tree=$work/tree
mkdir -p "$tree/guest-utils"
for entry in "$top"/* "$top"/.ci; do
	case ${entry##*/} in README.md | docs | guest-utils | build | obj-*) continue ;; esac
	ln -s "$entry" "$tree/${entry##*/}"
done
for entry in "$top"/guest-utils/*; do
	[ "${entry##*/}" = doc ] || ln -s "$entry" "$tree/guest-utils/${entry##*/}"
done
restore() {
	rm -rf "$tree/README.md" "$tree/docs" "$tree/guest-utils/doc"
	cp "$top/README.md" "$tree/"
	cp -r "$top/docs" "$tree/"
	cp -r "$top/guest-utils/doc" "$tree/guest-utils/"
}

# expect_failure WHAT PATTERN COMMAND...: COMMAND fails, and a "not ok"
# line of its output matches PATTERN.
expect_failure() {
	local what=$1 pattern=$2 out status=0
	shift 2
	out=$("$@" 2>&1) || status=$?
	if [ "$status" -ne 0 ] && grep -E "^not ok - .*$pattern" <<<"$out" >/dev/null; then
		echo "ok - $what: $(grep -E "^not ok - .*$pattern" <<<"$out" | head -n 1 | cut -c1-200)"
	else
		echo "not ok - $what (exit $status; no failing check matches '$pattern'):"
		sed 's/^/#   /' <<<"$out" | tail -n 20
		failed=1
	fi
}

# shellcheck disable=SC2120 # expect_failure passes the printer
check_docs() {
	python3 "$here/check.py" "${1:-$printer}" "$model" "$tree"
}

restore
if out=$(check_docs); then
	echo "ok - the unchanged documents pass ($(grep -c '^ok' <<<"$out") checks)"
else
	echo "not ok - the unchanged documents fail:"
	grep '^not ok' <<<"$out"
	failed=1
fi

sed -i 's/kvm-exitstats_0\.5\.0_amd64\.deb  /kvm-exitstats_0.4.0_amd64.deb  /' "$tree/README.md"
grep -q 'kvm-exitstats_0.4.0_amd64.deb' "$tree/README.md" || { echo "not ok - the README has no package file name to age"; failed=1; }
expect_failure "a stale version in the README" "README.md names no version but" check_docs
restore

# The command without --vcpus, as its definitions would print it.
printf '#!/bin/sh\n"%s" | grep -v -- "--vcpus"\n' "$printer" >"$work/printer-without-vcpus"
chmod +x "$work/printer-without-vcpus"
expect_failure "an option the command no longer has, in the README" "README.md: every kvm-exitstats option.*--vcpus" \
	check_docs "$work/printer-without-vcpus"
expect_failure "an option the command no longer has, in --help, the man page and the completion" "--vcpus" \
	python3 "$top/tests/guest/command_line_docs_test.py" "$work/printer-without-vcpus" "$model" \
	"$tree/guest-utils/doc/kvm-exitstats.1" "$top/guest-utils/completion/kvm-exitstats"

sed -i 's/^kvm-exitstats watch  /kvm-exitstats watch --interval 0/' "$tree/README.md"
expect_failure "a README command line that is a usage error" "README.md line .*'kvm-exitstats watch --interval 0.*exit 2" \
	check_docs
restore

sed -i 's/^\(reason  *exits  *share  *cycles  *avg cycles  *exits\/s  *cycles\/s\) .*max$/\1/' "$tree/README.md"
expect_failure "a sample without today's percentile columns" "the sample of .* has today's layout" check_docs
restore

sed -i 's|(docs/host-interface.md)|(docs/host-interfaces.md)|' "$tree/README.md"
expect_failure "a link to a file that does not exist" "every link leads .*host-interfaces.md" check_docs
restore

sed -i 's|`bench/host-command/run.sh`|`bench/host-commands/run.sh`|' "$tree/docs/contributing.md"
expect_failure "a path of the tree that does not exist" "every path of the tree it names exists: bench/host-commands/run.sh" \
	check_docs
exit $failed
