#!/bin/bash
# The bash completion of kvm-exitstats completes subcommands and options,
# and the command after `run --`.
#
# usage: completion_test.sh COMPLETION_FILE
set -uo pipefail
# shellcheck disable=SC1091
source /usr/share/bash-completion/bash_completion || { echo "bash-completion is not installed"; exit 1; }
# shellcheck disable=SC1090
source "$1"

failed=0
complete_line() {
	COMP_LINE=$1
	COMP_POINT=${#COMP_LINE}
	read -r -a COMP_WORDS <<<"$COMP_LINE"
	[[ $COMP_LINE == *" " ]] && COMP_WORDS+=("")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMPREPLY=()
	_kvm_exitstats
	printf '%s\n' "${COMPREPLY[@]}" | sort -u | paste -sd' '
}
expect() {
	local got
	got=$(complete_line "$1")
	if [ "$got" = "$2" ]; then
		echo "ok - '$1' -> $got"
	else
		echo "not ok - '$1' -> '$got', expected '$2'"
		failed=1
	fi
}

expect "kvm-exitstats w" "watch"
expect "kvm-exitstats --re" "--reason"
expect "kvm-exitstats --j" "--json"
expect "kvm-exitstats watch --i" "--interval"
expect "kvm-exitstats run -" "-- --all --csv --help --json --output"
expect "kvm-exitstats --reason " ""
expect "kvm-exitstats h" "host"
expect "kvm-exitstats p" "plot"
expect "kvm-exitstats host r" "record"
expect "kvm-exitstats host --p" "--prometheus"
expect "kvm-exitstats host --vc" "--vcpus"
expect "kvm-exitstats host watch --i" "--interval"
expect "kvm-exitstats host record --w" "--wait"
expect "kvm-exitstats plot --t" "--top"
expect "kvm-exitstats watch --c" "--count --csv"
# VM names and PIDs after --vm, from a modelled host.
# shellcheck source=tests/guest/fake_host.sh
. "$(dirname "$0")/fake_host.sh"
_kvm_exitstats_root=$(mktemp -d "${TMPDIR:-/tmp}/kes-completion.XXXXXX")
fake_host "$_kvm_exitstats_root"
fake_vm "$_kvm_exitstats_root" 4242 11 web1
fake_vm "$_kvm_exitstats_root" 4343 12 db
expect "kvm-exitstats host --vm " "4242 4343 db web1"
expect "kvm-exitstats host record --vm w" "web1"
rm -rf "$_kvm_exitstats_root"
expect "kvm-exitstats run -- bas" "$(compgen -c bas | sort -u | paste -sd' ')"
exit $failed
