#!/bin/bash
# One DKMS command builds and installs the three modules for a kernel from
# dkms.conf, they take precedence over Debian's, and removing them brings
# Debian's back.
#
# usage: dkms-test.sh TARGET...   (kernels of this machine's release; by
#   default the oldest and newest series of this machine's release, as
#   scripts/series.sh names them)
set -euo pipefail
. "$(dirname "$0")/lib.sh"

if [ $# -eq 0 ]; then
	targets=$(release_targets "$(machine_release)")
	set -- "${targets%% *}" "${targets##* }"
fi
name=kvm-exitstats
version=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' "$top/dkms.conf")
srcdir=/usr/src/$name-$version

resolves_to() {
	local kver=$1 module=$2 where=$3
	# Debian 13 has /lib as a link to /usr/lib: either may be named.
	modinfo -k "$kver" -F filename "$module" | grep -q "^\(/usr\)\{0,1\}/lib/modules/$kver/$where/"
}

cleanup() {
	dkms remove "$name/$version" --all >/dev/null 2>&1 || true
	rm -rf "$srcdir"
}

command -v dkms >/dev/null || fail "dkms is not installed"
if dpkg-query -W -f '${Status}' "$name-dkms" 2>/dev/null | grep -q installed; then
	fail "the $name-dkms package is installed; this test would replace its modules"
fi
cleanup
trap cleanup EXIT
mkdir -p "$srcdir" "$build_root"
cp -a "$top/dkms.conf" "$top/src-kvm" "$srcdir/"
dkms add "$name/$version" >/dev/null

for series in "$@"; do
	kver=$(kernel_release_of_series "$series") || fail "no linux-headers for Linux $series"
	start=$(date +%s.%N)
	if dkms install "$name/$version" -k "$kver" >"$build_root/dkms-$kver.log" 2>&1; then
		secs=$(echo "$(date +%s.%N) - $start" | bc)
		echo "# dkms install $name/$version -k $kver: $(printf '%.1f' "$secs") s"
		check "dkms install for $kver succeeds" true
	else
		sed 's/^/# /' "$build_root/dkms-$kver.log"
		check "dkms install for $kver succeeds" false
		continue
	fi
	check "dkms status shows $name installed for $kver" \
		sh -c "dkms status '$name/$version' -k '$kver' 2>/dev/null | grep -q ': installed'"
	if [ -f "/lib/modules/$kver/modules.dep" ]; then
		for m in kvm kvm-intel kvm-amd; do
			check "$kver: $m resolves to updates/dkms with version $version" \
				sh -c "$(declare -f resolves_to); resolves_to '$kver' '$m' updates/dkms &&
				       [ \"\$(modinfo -k '$kver' -F version '$m')\" = '$version' ]"
		done
	else
		# DKMS 3.1 and later run no depmod for a kernel whose image is
		# not installed (no modules.dep): nothing resolves there.
		echo "# no modules.dep for $kver (its image is not installed here; DKMS ran no depmod): checking the installed files"
		for m in kvm kvm-intel kvm-amd; do
			check "$kver: $m is installed in updates/dkms with version $version" \
				sh -c "[ \"\$(modinfo -F version /lib/modules/'$kver'/updates/dkms/'$m'.ko*)\" = '$version' ]"
		done
	fi
	dkms remove "$name/$version" -k "$kver" >/dev/null 2>&1
	check "$kver: dkms remove leaves no module in updates/dkms" \
		sh -c "! ls /lib/modules/'$kver'/updates/dkms/kvm*.ko* 2>/dev/null"
	if ! ls /lib/modules/"$kver"/kernel/arch/x86/kvm/kvm.ko* >/dev/null 2>&1; then
		echo "# linux-image-$kver is not installed here: no stock modules to fall back to"
		continue
	fi
	for m in kvm kvm-intel kvm-amd; do
		check "$kver: after dkms remove, $m resolves to Debian's module again" \
			sh -c "$(declare -f resolves_to); resolves_to '$kver' '$m' kernel"
	done
done

finish
