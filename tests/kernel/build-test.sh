#!/bin/bash
# Builds the modules for every installed Debian series from the real
# linux-source and linux-headers packages, and checks what a user relies on:
# the modules are drop-in replacements of Debian's, DKMS builds and installs
# them with one command, checkpatch is clean, and every failure of build.sh
# names its fix and leaves the output directory alone.
#
# usage: build-test.sh [TARGET...]   (default: every target of scripts/series.sh)
set -euo pipefail
. "$(dirname "$0")/lib.sh"

if [ $# -eq 0 ]; then
	read -r -a all_targets <<<"$(kernel_targets)"
	set -- "${all_targets[@]}"
fi
version=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' "$top/dkms.conf")

modinfo_field() {
	modinfo -F "$2" "$1" | sort | tr '\n' ' '
}

same_interface_as_stock() {
	local ours=$1 stock=$2
	[ "$(modinfo_field "$ours" vermagic)" = "$(modinfo_field "$stock" vermagic)" ] &&
	[ "$(modinfo_field "$ours" depends)" = "$(modinfo_field "$stock" depends)" ] &&
	diff <(modinfo -F parm "$stock" | cut -d: -f1 | sort) \
	     <(modinfo -F parm "$ours" | cut -d: -f1 | grep -vx exitstats | sort) >/dev/null
}

exported_symbols_kept() {
	local ours=$1 stock=$2
	diff <(nm "$stock" | awk '$3 ~ /^__ksymtab_/ {print $3}' | sort) \
	     <(nm "$ours" | awk '$3 ~ /^__ksymtab_/ {print $3}' | grep -v exitstats | sort) >/dev/null
}

stock_module() {
	local image=$1 kver=$2 name=$3 dest=$4
	copy_stock_module "$image" "$kver" "arch/x86/kvm/$name" "$dest"
	echo "$dest/$name.ko"
}

fails_with() {
	local pattern=$1 out
	shift
	if out=$("$@" 2>&1); then
		echo "# unexpectedly succeeded: $*"
		return 1
	fi
	echo "$out" | sed 's/^/# /'
	echo "$out" | grep -q -- "$pattern"
}

work=$(mktemp -d "${TMPDIR:-/tmp}/kes-build-test.XXXXXX")
trap 'rm -rf "$work"; rm -rf /lib/modules/0.0.0-kes-fake' EXIT

# The first kernel whose source was extracted before (by the DKMS test
# before this suite in tests/run.sh, or a run before): its build is the
# second build of its source.
extracted_before=
for target in "$@"; do
	extracted_source_dir "$target" >/dev/null && { extracted_before=$target; break; }
done

for target in "$@"; do
	series=$(target_series "$target")
	kver=$(kernel_release_of_series "$target") || fail "no linux-headers for Linux $target"
	log "building for $kver"
	start=$(date +%s.%N)
	rm -rf "$build_root/$kver"
	mods=$(patched_modules_dir "$kver" 2>"$work/build-$kver.log") || { cat "$work/build-$kver.log"; fail "build.sh $kver failed"; }
	secs=$(echo "$(date +%s.%N) - $start" | bc)
	cat "$work/build-$kver.log"
	if [ "$target" = "$extracted_before" ]; then
		check "a second build of the same source does not extract it again ($kver)" \
			sh -c "! grep -q extracting '$work/build-$kver.log'"
	fi
	where=$(release_prefix "$(target_release "$target")")
	echo "# build.sh $kver${where:+ (in the Debian $(target_release "$target") root)}: $(printf '%.1f' "$secs") s"
	image=$(kernel_image_dir "$kver")
	mkdir -p "$work/stock-$kver"
	for m in kvm kvm-intel kvm-amd; do
		stock=$(stock_module "$image" "$kver" "$m" "$work/stock-$kver")
		check "$kver $m.ko has version $version" \
			test "$(modinfo -F version "$mods/$m.ko")" = "$version"
		check "$kver $m.ko matches Debian's in vermagic, dependencies and parameters" \
			same_interface_as_stock "$mods/$m.ko" "$stock"
		check "$kver $m.ko exports every symbol Debian's does" \
			exported_symbols_kept "$mods/$m.ko" "$stock"
	done
	check "$kver kvm.ko has the exitstats parameter" \
		sh -c "modinfo -F parm '$mods/kvm.ko' | grep -q '^exitstats:'"

	lines=$(grep -c '^+[^+]' "$top/src-kvm/hooks/$series.patch")
	files=$(grep -c '^diff ' "$top/src-kvm/hooks/$series.patch")
	echo "# hooks into existing KVM files for $series: $lines added lines in $files files"
	check "$series hooks touch only arch/x86/kvm and virt/kvm" \
		sh -c "! grep '^+++ ' '$top/src-kvm/hooks/$series.patch' | grep -v ' b/arch/x86/kvm/\| b/virt/kvm/'"
done

# checkpatch.pl from the newest kernel source given judges the new files and hooks.
target=${*: -1}
tarball=$(ls "$(target_root "$target")"/usr/src/linux-source-"$(target_series "$target")".tar.* | head -n1)
echo "# checkpatch.pl of $(basename "$tarball") ($(target_series "$target"))"
top_dir=$(tar -tf "$tarball" 2>/dev/null | head -n1 | cut -d/ -f1 || true)
tar -xf "$tarball" -C "$work" "$top_dir/scripts/checkpatch.pl" "$top_dir/scripts/spelling.txt" \
	"$top_dir/scripts/const_structs.checkpatch"
checkpatch=$work/$top_dir/scripts/checkpatch.pl
for f in "$top"/src-kvm/*.[ch] "$top"/src-kvm/*/*.c; do
	check "checkpatch: ${f#"$top"/}" sh -c "'$checkpatch' --no-tree --quiet -f '$f' >'$work/cp.log' 2>&1 || { cat '$work/cp.log'; false; }"
done
for p in "$top"/src-kvm/hooks/*.patch; do
	check "checkpatch: ${p#"$top"/}" sh -c "'$checkpatch' --no-tree --quiet '$p' >'$work/cp.log' 2>&1 || { cat '$work/cp.log'; false; }"
done

# scripts/hooks-check.py tells which hooks apply to a source (docs/porting.md).
newest=$(target_series "$target")
extracted=$(extracted_source_dir "$target" || true)
if [ -n "$extracted" ]; then
	older=$(sed -n 's/^KVM_EXITSTATS_SERIES="\(.*\)"$/\1/p' "$top/dkms.conf" | tr ' ' '\n' | grep -vx "$newest" | head -n1)
	check "hooks-check: every hunk of the $newest hooks applies exactly to its source" \
		sh -c "'$top/scripts/hooks-check.py' '$extracted' '$newest' | tee '$work/hc.log' | tail -n1 | grep -q '^\([0-9]*\) of \1 hunks apply exactly$'"
	"$top/scripts/hooks-check.py" "$extracted" "$older" >"$work/hc-old.log" || true
	sed 's/^/# /' "$work/hc-old.log"
	check "hooks-check: on the $newest source, the $older hooks are reported as not applying, with exit 1" \
		sh -c "! '$top/scripts/hooks-check.py' '$extracted' '$older' >/dev/null && grep -q 'DOES NOT APPLY' '$work/hc-old.log'"
fi

# Failures name the package or path that fixes them and leave OUTDIR alone;
# these run build.sh on this machine, with a series of its own release.
machine=$(machine_release)
set -- $(for target in "$@"; do [ "$(target_release "$target")" != "$machine" ] || echo "$target"; done)
[ $# -gt 0 ] || finish
kver=$(kernel_release_of_series "$1")
series=$(target_series "$1")
mkdir -p "$work/out"
echo previous >"$work/out/kvm.ko"
check "--check accepts a kernel with headers and matching source" \
	"$top/src-kvm/build.sh" --check "$kver"
check "--check names missing headers" \
	fails_with "install linux-headers-0.0.0-none" "$top/src-kvm/build.sh" --check 0.0.0-none
check "missing headers name the headers package" \
	fails_with "install linux-headers-0.0.0-none" "$top/src-kvm/build.sh" 0.0.0-none "$work/out"
check "a missing source override is named" \
	fails_with "KVM_EXITSTATS_KERNEL_SOURCE=/nonexistent does not exist" \
	env KVM_EXITSTATS_KERNEL_SOURCE=/nonexistent "$top/src-kvm/build.sh" "$kver" "$work/out"
other_tarball=$(ls /usr/src/linux-source-*.tar.* 2>/dev/null | grep -v "/linux-source-$series\.tar" | head -n1 || true)
if [ -n "$other_tarball" ]; then
	other=${other_tarball##*/linux-source-}
	other=${other%%.tar.*}
	check "source of another version is refused, naming both versions" \
		fails_with "is Linux $other\..* but kernel $kver is Linux $series\." \
		env KVM_EXITSTATS_KERNEL_SOURCE="$other_tarball" "$top/src-kvm/build.sh" "$kver" "$work/out"
fi
mkdir -p /lib/modules/0.0.0-kes-fake/build
printf 'kernelversion:\n\t@echo 5.10.0\n' >/lib/modules/0.0.0-kes-fake/build/Makefile
supported=$(sed -n 's/^KVM_EXITSTATS_SERIES="\(.*\)"$/\1/p' "$top/dkms.conf")
check "dkms.conf names a series for each hooks file, and no other" \
	test "$supported" = "$(cd "$top/src-kvm/hooks" && ls ./*.patch | sed 's|^\./||; s|\.patch$||' | sort -V | paste -sd' ')"
check "an unsupported series is named with the supported ones and what to do" \
	fails_with "Linux 5.10 (0.0.0-kes-fake) is not supported by kvm-exitstats $version, which supports the series $supported: boot a kernel of those series, or see docs/porting.md to add 5.10" \
	"$top/src-kvm/build.sh" 0.0.0-kes-fake "$work/out"
check "the unsupported-series error is one line" \
	sh -c "[ \$('$top/src-kvm/build.sh' 0.0.0-kes-fake '$work/out' 2>&1 | wc -l) -eq 1 ]"
for k in 0.0.0-kes-fake 6.16.12+deb13-amd64 7.4.1+deb13-amd64 5.10.0-32-amd64; do
	check "dkms.conf's BUILD_EXCLUSIVE_KERNEL leaves out $k" \
		bash -c ". '$top/dkms.conf'; [[ ! '$k' =~ \$BUILD_EXCLUSIVE_KERNEL ]]"
done
for k in 6.1.0-57-amd64 6.12.117+deb12-amd64 6.12.118+deb13-amd64 7.2.12+deb13-amd64 7.3.4+deb13-cloud-amd64; do
	check "dkms.conf's BUILD_EXCLUSIVE_KERNEL takes $k" \
		bash -c ". '$top/dkms.conf'; [[ '$k' =~ \$BUILD_EXCLUSIVE_KERNEL ]]"
done
check "failed builds leave the output directory as it was" \
	sh -c "[ \"\$(ls '$work/out')\" = kvm.ko ] && grep -qx previous '$work/out/kvm.ko'"
cached=$(extracted_source_dir "$1") || fail "build.sh kept no extraction of linux-source-$1"
check "a source directory given by KVM_EXITSTATS_KERNEL_SOURCE builds" \
	env KVM_EXITSTATS_KERNEL_SOURCE="$cached" "$top/src-kvm/build.sh" "$kver" "$work/out-dir"
# Where no kernel's source was extracted before this suite, the second
# build is one more.
if [ -z "$extracted_before" ]; then
	check "a second build of the same source does not extract it again" \
		sh -c "! '$top/src-kvm/build.sh' '$kver' '$work/out-again' 2>&1 | grep extracting"
fi

finish
