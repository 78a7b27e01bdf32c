#!/bin/bash
# A TD vCPU (struct vcpu_tdx) shares the exit path and kvm_cpuid() with VMX
# vCPUs but contains no struct vcpu_vmx: kvm.ko must reach its counters at
# an offset valid for both. Debian's kernels have TDX off, but build.sh
# also builds for self-built kernels, so this builds the modules for a 7.3
# tree configured with TDX host support (in Debian 13, or its root):
#   - the product builds, and kvm-intel.ko contains the TDX code;
#   - a port that puts the counters in struct vcpu_vmx (as 6.x does) builds
#     with Debian's configuration but fails the build here, on the
#     assertion in src-kvm/vmx/exitstats_vmx.c.
#
# usage: tdx-build-test.sh [TARGET]   (default: the newest series, scripts/series.sh)
set -euo pipefail
. "$(dirname "$0")/lib.sh"

target=${1:-$(newest_target)}
series=$(target_series "$target")
is_debian13_target "$target" || fail "TDX exists from 6.16 on: give a Debian 13 target after 6.12 ($(release_series_from_backports "$(release_series 13)"))"
# The Debian 13 machine itself, or the Debian 13 root.
root=$(release_prefix 13)
tarball=$root/usr/src/linux-source-$series.tar.xz
[ -f "$tarball" ] || fail "no $tarball: run scripts/install-build-deps.sh"
tree_parent=/var/tmp/kes-tdx
# Debian's choices (KVM as modules) plus what TDX host support depends on.
options="-m KVM -m KVM_INTEL -m KVM_AMD -e X86_X2APIC -e X86_MCE -e COMPACTION -e MEMORY_ISOLATION -e CMA
	-e INTEL_TDX_HOST -e KVM_INTEL_TDX"
stamp="$(stat -c '%s-%Y' "$tarball") $(echo $options)"
tree=$tree_parent/linux-source-$series
fake_kver=$series.0-kes-tdx

work=$(mktemp -d "${TMPDIR:-/tmp}/kes-tdx.XXXXXX")
cleanup() {
	rm -rf "$work" "$root/lib/modules/$fake_kver"
}
trap cleanup EXIT

# A configured tree is kept in the root for the next run of the same source.
if [ "$(cat "$root$tree_parent/.stamp" 2>/dev/null)" != "$stamp" ]; then
	log "configuring linux-source-$series with TDX host support (once per source version)"
	start=$(date +%s)
	in_release 13 apt-get install -y -q --no-install-recommends gcc flex bison libelf-dev libssl-dev \
		>"$work/apt.log" 2>&1 || { tail "$work/apt.log"; fail "cannot install kbuild's tools in the root"; }
	rm -rf "$root$tree_parent"
	mkdir -p "$root$tree_parent"
	tar -xf "$tarball" -C "$root$tree_parent"
	# Two passes: TDX host support can only be chosen once the first pass
	# has chosen what it depends on (CONTIG_ALLOC follows from CMA).
	in_release 13 sh -c "cd $tree && make -s x86_64_defconfig >/dev/null &&
		scripts/config $(echo $options) && make -s olddefconfig &&
		scripts/config $(echo $options) && make -s olddefconfig &&
		make -s -j$(nproc) modules_prepare" >"$work/prepare.log" 2>&1 ||
		{ tail -n 30 "$work/prepare.log"; fail "make modules_prepare failed"; }
	echo "$stamp" >"$root$tree_parent/.stamp"
	echo "# configured and prepared linux-source-$series: $(($(date +%s) - start)) s"
fi
check "the tree has CONFIG_KVM_INTEL_TDX=y" grep -qx 'CONFIG_KVM_INTEL_TDX=y' "$root$tree/.config"
check "the tree builds KVM as modules, as Debian does" grep -qx 'CONFIG_KVM=m' "$root$tree/.config"

# build.sh takes a full source tree at /lib/modules/KVER/build (self-built kernels).
mkdir -p "$root/lib/modules/$fake_kver"
ln -sfn "$tree" "$root/lib/modules/$fake_kver/build"

start=$(date +%s)
# Without a vmlinux, modpost cannot resolve the kernel's symbols: warn only.
if build_in_release 13 "$fake_kver" "$work/ours" KBUILD_MODPOST_WARN=1 >"$work/ours.log" 2>&1; then
	check "the product builds for $series with TDX host support ($(($(date +%s) - start)) s)" true
else
	sed 's/^/# /' "$work/ours.log" | tail -n 30
	check "the product builds for $series with TDX host support" false
fi
check "its kvm-intel.ko contains the TDX code (tdx_vcpu_run)" \
	sh -c "nm '$work/ours/kvm-intel.ko' 2>/dev/null | grep -qw tdx_vcpu_run"

# The hazard kernels.md measured: counters in struct vcpu_vmx, reached through
# a fixed offset from x86.c, land inside struct vcpu_tdx's own fields.
mutant=$work/mutant
mkdir -p "$mutant"
cp -a "$top/dkms.conf" "$top/src-kvm" "$mutant/"
# The pristine KVM sources that build.sh keeps (a build for Debian's
# kernel of the series makes them, if no suite before did).
extracted_source_dir "$target" >/dev/null ||
	patched_modules_dir "$(kernel_release_of_series "$target")" >/dev/null
pristine=$(extracted_source_dir "$target") || fail "build.sh kept no extraction of linux-source-$series"
mkdir -p "$work/a/arch/x86" "$work/b/arch/x86"
cp -a "$pristine/arch/x86/kvm" "$work/a/arch/x86/"
cp -a "$pristine/arch/x86/kvm" "$work/b/arch/x86/"
patch -s -p1 -d "$work/b" <"$top/src-kvm/hooks/$series.patch"
kvm_b=$work/b/arch/x86/kvm
sed -i '/^\tstruct kvm_exitstats_vcpu exitstats;$/d' "$kvm_b/vmx/common.h"
# Right after struct vcpu_vt, so that vt keeps the offset that upstream's
# own assertion in vmx/main.c compares with struct vcpu_tdx.
sed -i '/^struct vcpu_vmx {$/{n;n;s|$|\n\tstruct kvm_exitstats_vcpu exitstats;|}' "$kvm_b/vmx/vmx.h"
sed -i 's|&vmx->vt\.exitstats|\&vmx->exitstats|; s|struct vcpu_vmx, vt\.exitstats,|struct vcpu_vmx, exitstats,|' "$kvm_b/vmx/vmx.c"
(cd "$work" && diff -ruN a b || true) |
	sed -E 's#^diff -ruN a/(\S+) b/\S+#diff -ruN a/\1 b/\1#; s#^(---|\+\+\+) ([ab]/\S+)\t.*#\1 \2#' \
	>"$mutant/src-kvm/hooks/$series.patch"
check "the mutant hooks put the counters in struct vcpu_vmx" \
	grep -q '^+	struct kvm_exitstats_vcpu exitstats;' <(sed -n '/vmx\/vmx.h/,/^diff/p' "$mutant/src-kvm/hooks/$series.patch")
check_mutant_builds_without_tdx() {
	local kver
	kver=$(kernel_release_of_series "$target") || return 1
	(top=$mutant build_for_kernel "$kver" "$work/mutant-debian") >"$work/mutant-debian.log" 2>&1 ||
		{ sed 's/^/# /' "$work/mutant-debian.log" | tail -n 20; return 1; }
}
check "the port with the counters in struct vcpu_vmx builds with Debian's configuration (TDX off)" \
	check_mutant_builds_without_tdx
if (top=$mutant build_in_release 13 "$fake_kver" "$work/mutant-tdx" KBUILD_MODPOST_WARN=1) >"$work/mutant-tdx.log" 2>&1; then
	check "the same port fails to build with TDX host support" false
else
	grep -m3 'error:\|exitstats_vmx\.c:' "$work/mutant-tdx.log" | sed 's/^/# /'
	# gcc places the error in offsetof's definition and the assertion in notes.
	check "the same port fails to build with TDX host support, on exitstats_vmx.c's assertion" \
		sh -c "grep -q \"error: 'struct vcpu_vt' has no member named 'exitstats'\" '$work/mutant-tdx.log' &&
		       grep -q 'exitstats_vmx\.c:[0-9]*:[0-9]*: note: in expansion of macro .static_assert' '$work/mutant-tdx.log'"
fi

finish
