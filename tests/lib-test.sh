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

printf '%s\n' 'ok - one' 'not ok - two' '# e2e: ok - three' '# e2e: not ok - four' \
	'# # e2e: not ok - five' 'a line that says not ok - inside' '3 passed, 3 failed' >"$work/suite.log"
check "failed_checks lists a suite's failed checks, and those of the suites it ran" \
	[ "$(failed_checks "$work/suite.log")" = "not ok - two
# e2e: not ok - four
# # e2e: not ok - five" ]

# The kernel targets follow dkms.conf's one list of series
# (scripts/series.sh): Debian 12's up to 6.12, Debian 13's from 6.12 on.
series_of_conf() {
	printf 'PACKAGE_NAME="kvm-exitstats"\nKVM_EXITSTATS_SERIES="%s"\n' "$1" >"$work/dkms.conf"
	(KES_DKMS_CONF=$work/dkms.conf
	 . "$here/../scripts/series.sh"
	 echo "$(kernel_targets) | 12:$(release_default_target 12) 13:$(release_default_target 13) newest:$(newest_target) backports:$(release_series_from_backports "$(release_series 13)")") 2>&1
}
check "the product's series give the targets of both releases, their default kernels and the newest" \
	[ "$(KES_DKMS_CONF="$here/../dkms.conf" bash -c ". '$here/../scripts/series.sh'; kernel_targets")" = \
	  "$(sed -n 's/^KVM_EXITSTATS_SERIES="\(.*\)"$/\1/p' "$here/../dkms.conf" | tr ' ' '\n' | sort -V |
	     awk '{ split($1, v, "."); d12 = v[1] < 6 || (v[1] == 6 && v[2] <= 12); d13 = v[1] > 6 || (v[1] == 6 && v[2] >= 12)
		    if (d12) a = a " " $1; if (d13) b = b " " $1 (d12 ? "+deb13" : "") } END { print substr(a b, 2) }')" ]
check "a series added to dkms.conf is a Debian 13 target from backports and the newest" \
	[ "$(series_of_conf "6.1 6.12 7.2 7.3 7.4")" = "6.1 6.12 6.12+deb13 7.2 7.3 7.4 | 12:6.1 13:6.12+deb13 newest:7.4 backports:7.2 7.3 7.4" ]
check "a series dropped from dkms.conf is gone, and the next one is the default kernel" \
	[ "$(series_of_conf "7.3 6.12")" = "6.12 6.12+deb13 7.3 | 12:6.12 13:6.12+deb13 newest:7.3 backports:7.3" ]
empty=$(series_of_conf "")
check "an empty list in dkms.conf is an error that names the file" \
	[ "${empty%%$'\n'*}" = "kvm-exitstats: error: no KVM_EXITSTATS_SERIES line in $work/dkms.conf" ]
printf 'PACKAGE_NAME="kvm-exitstats"\n' >"$work/dkms.conf"
check "a dkms.conf without the series line names the file" \
	sh -c "KES_DKMS_CONF='$work/dkms.conf' bash -c '. $here/../scripts/series.sh; kernel_targets' 2>&1 | grep -q 'no KVM_EXITSTATS_SERIES line in $work/dkms.conf'"

# Where each release's kernels are built (scripts/release-roots.sh): here
# on a machine of that release, else in its root.
os_release() {
	printf 'ID=%s\nVERSION_ID="%s"\n' "$1" "$2" >"$work/os-release"
}
where_built() {
	(KES_OS_RELEASE=$work/os-release KES_TEST_CACHE=/cache
	 . "$here/../scripts/release-roots.sh"
	 echo "$(machine_release) 12:$(release_prefix 12) 13:$(release_prefix 13) default:$(release_default_target "$(machine_release)")") 2>&1
}
os_release debian 12
check "on Debian 12, 6.1 and 6.12 build here and Debian 13's kernels in its root; the default kernel is 6.1" \
	[ "$(where_built)" = "12 12: 13:/cache/debian13-build-root default:6.1" ]
os_release debian 13
check "on Debian 13, its kernels build here and Debian 12's in its root; the default kernel is 6.12+deb13" \
	[ "$(where_built)" = "13 12:/cache/debian12-build-root 13: default:6.12+deb13" ]
os_release ubuntu 24.04
check "another system is named in one error line" \
	sh -c "[ \"\$(KES_OS_RELEASE='$work/os-release' bash -c '. $here/../scripts/release-roots.sh; machine_release' 2>&1)\" = 'kvm-exitstats: error: this machine runs ubuntu 24.04; building and testing need Debian 12 or 13' ]"
# On a Debian 13 machine, Debian 12's kernels are in its root, whose headers
# link build to an absolute path: a path inside the root.
other_root=$work/cache/debian12-build-root
mkdir -p "$other_root/usr/src/linux-headers-6.1.0-99-amd64" "$other_root/lib/modules/6.1.0-99-amd64" "$other_root/var/lib/dpkg"
: >"$other_root/var/lib/dpkg/status"
ln -s /usr/src/linux-headers-6.1.0-99-amd64 "$other_root/lib/modules/6.1.0-99-amd64/build"
os_release debian 13
check "on Debian 13, a Debian 12 kernel whose headers link build to an absolute path is found in its root" \
	[ "$(KES_OS_RELEASE=$work/os-release KES_TEST_CACHE=$work/cache bash -c ". '$here/kernel/lib.sh'; kernel_release_of_series 6.1" 2>&1)" = 6.1.0-99-amd64 ]
check "a fresh install's sources: the release, its updates and security, no backports" \
	[ "$(. "$here/../scripts/release-roots.sh"; release_sources 13 | grep '^Suites:' | paste -sd' ')" = "Suites: trixie trixie-updates Suites: trixie-security" ]
# Two suites at once that prepare one kernel take turns (lock_until_exit).
preparer() {
	KES_TEST_CACHE=$work/cache bash -c ". '$here/kernel/lib.sh'
		x=\$(lock_until_exit '$work/cache/prepare.lock'; echo start >>'$work/turns'; sleep 0.5; echo end >>'$work/turns')"
}
preparer & preparer & wait
check "two preparers of one kernel take turns: the second starts when the first has ended" \
	[ "$(paste -sd' ' "$work/turns")" = "start end start end" ]
# tests/run.sh refuses to start on a disk that would fill up mid-run: with
# stand-ins saying 1 GB is free (and root), it stops before any suite.
mkdir -p "$work/bin"
printf '#!/bin/sh\necho 0\n' >"$work/bin/id"
printf '#!/bin/sh\necho "Filesystem 1024-blocks Used Available Capacity Mounted on"\necho "/dev/x 100000000 99000000 1048576 99%% /"\n' >"$work/bin/df"
chmod +x "$work/bin/id" "$work/bin/df"
status=0
out=$(PATH=$work/bin:$PATH "$here/run.sh" 2>&1) || status=$?
check "tests/run.sh stops at once with under 20 GB free, and says so ($status: $out)" \
	sh -c '[ "$1" = 2 ] && [ "${2#*has 1 GB free, the suites need 20 GB}" != "$2" ] && [ "${2#*===}" = "$2" ]' - "$status" "$out"

finish
