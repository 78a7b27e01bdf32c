#!/bin/bash
# Builds a debug kernel for the emulated hosts from the same Debian
# linux-source-X.Y the product builds against, in the release that ships it
# (this machine or that release's build root), the way the kernel's own bug
# detectors are meant to run:
#   kasan  generic KASAN (inline), lockdep (PROVE_LOCKING),
#          DEBUG_ATOMIC_SLEEP and DEBUG_LIST;
#   kcsan  KCSAN (it cannot be combined with KASAN).
# The configuration is tinyconfig with what the emulated hosts use: KVM
# and its vendor modules as modules, debugfs, the serial console and an
# initramfs, without debug info. Kept, with its built tree (a full source
# tree, as src-kvm/build.sh takes one at /lib/modules/KVER/build), the
# installed modules (linked as /lib/modules/KVER there, so that
# src-kvm/build.sh builds our modules against it) and the build's time,
# under /var/cache/kvm-exitstats-debug/KIND-SERIES-VERSION-HASH of that
# root (HASH: the options and the compiler's version); a new source version
# or another configuration builds anew, and replaces the old one.
#
# usage: tests/debug-kernel/build.sh [--kind kasan|kcsan] [TARGET]
#   (default: kasan, the newest series of scripts/series.sh)
# The last line names the kernel release and the directory.
set -euo pipefail
. "$(dirname "$0")/../kernel/lib.sh"

usage="usage: tests/debug-kernel/build.sh [--kind kasan|kcsan] [TARGET]"
kind=kasan target=''
while [ $# -gt 0 ]; do
	case $1 in
	--kind) kind=${2:?$usage}; shift 2 ;;
	-h | --help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
	-*) echo "$usage" >&2; exit 2 ;;
	*) target=$1; shift ;;
	esac
done
target=${target:-$(newest_target)}
[[ " $(kernel_targets) " == *" $target "* ]] || { echo "$usage (TARGET: $(kernel_targets))" >&2; exit 2; }

# tinyconfig, plus what the emulated host runs: a 64-bit SMP kernel on
# QEMU's or Bochs' serial console (ACPI to power off), an initramfs of
# static programs and busybox, modules, debugfs and KVM with both vendor
# modules, the lockdown LSM (the end-to-end test locks the host down as
# Secure Boot does; it brings module signing, whose key make generates with
# openssl), and symbols for readable reports.
common="-e 64BIT -e SMP -e PRINTK -e BUG -e TTY -e SERIAL_8250 -e SERIAL_8250_CONSOLE
	-e BLK_DEV_INITRD -e RD_GZIP -e BINFMT_ELF -e BINFMT_SCRIPT -e PROC_FS -e SYSFS
	-e DEVTMPFS -e TMPFS -e SHMEM -e MULTIUSER -e FUTEX -e EPOLL -e EVENTFD -e SIGNALFD
	-e TIMERFD -e POSIX_TIMERS -e HIGH_RES_TIMERS -e CPU_SUP_INTEL -e CPU_SUP_AMD
	-e MODULES -e MODULE_UNLOAD -e DEBUG_FS -e DEBUG_KERNEL -e KALLSYMS -e STACKTRACE
	-e MAGIC_SYSRQ -d SLUB_TINY -e PCI -e ACPI -e VIRTUALIZATION -m KVM -m KVM_AMD -m KVM_INTEL
	-e SECURITY -e SECURITYFS -e SECURITY_LOCKDOWN_LSM
	-d DEBUG_INFO_DWARF_TOOLCHAIN_DEFAULT -d DEBUG_INFO_DWARF4 -d DEBUG_INFO_DWARF5 -e DEBUG_INFO_NONE
	-d LOCALVERSION_AUTO --set-str LOCALVERSION -kes-$kind"
# The detectors, and what must hold in the .config afterwards (olddefconfig
# drops what it cannot have).
case $kind in
kasan)
	detectors="-e KASAN -e KASAN_GENERIC -e KASAN_INLINE -e PROVE_LOCKING -e DEBUG_ATOMIC_SLEEP -e DEBUG_LIST"
	required="CONFIG_KASAN=y CONFIG_KASAN_GENERIC=y CONFIG_KASAN_INLINE=y CONFIG_PROVE_LOCKING=y CONFIG_DEBUG_ATOMIC_SLEEP=y CONFIG_DEBUG_LIST=y"
	;;
kcsan)
	detectors="-d KASAN -e KCSAN"
	required="CONFIG_KCSAN=y"
	;;
*) echo "$usage" >&2; exit 2 ;;
esac
required+=" CONFIG_KVM=m CONFIG_KVM_AMD=m CONFIG_KVM_INTEL=m CONFIG_DEBUG_FS=y CONFIG_SECURITY_LOCKDOWN_LSM=y"

series=$(target_series "$target")
release=$(target_release "$target")
root=$(release_prefix "$release")
tarball=$root/usr/src/linux-source-$series.tar.xz
[ -f "$tarball" ] || fail "no $tarball: run scripts/install-build-deps.sh"
source_version=$(dpkg-query --admindir="$root/var/lib/dpkg" -W -f '${Version}' "linux-source-$series")
gcc_version=$(in_release "$release" gcc -dumpfullversion)
# (echo would take the leading -e as its own.)
options=$(printf "%s " $common $detectors)
hash=$(printf '%s\n' "$options" "$gcc_version" | sha256sum | cut -c1-12)
key=$kind-$series-$source_version-$hash
dir=/var/cache/kvm-exitstats-debug/$key

if [ -f "$root$dir/.complete" ]; then
	log "$kind kernel of linux-source-$series $source_version: cached ($(cat "$root$dir/build-seconds") s to build)"
else
	log "building a $kind kernel from linux-source-$series $source_version (Debian $release, gcc $gcc_version): once per source and configuration"
	work=$(mktemp -d "${TMPDIR:-/tmp}/kes-debug-kernel.XXXXXX")
	trap 'rm -rf "$work"' EXIT
	# The other kind may be building beside this one (tests/run.sh): apt
	# waits for its lock.
	in_release "$release" apt-get install -y -q -o DPkg::Lock::Timeout=600 --no-install-recommends \
		gcc make bc flex bison libelf-dev libssl-dev \
		kmod cpio openssl >"$work/apt.log" 2>&1 || { tail "$work/apt.log"; fail "cannot install kbuild's tools"; }
	rm -rf "$root$dir"
	mkdir -p "$root$dir"
	start=$(date +%s)
	tar -xf "$tarball" -C "$root$dir"
	mv "$root$dir/linux-source-$series" "$root$dir/tree"
	# Two passes: some choices are offered only once what they depend on is.
	in_release "$release" sh -c "cd $dir/tree && make -s tinyconfig >/dev/null &&
		scripts/config $options && make -s olddefconfig &&
		scripts/config $options && make -s olddefconfig" >"$work/config.log" 2>&1 ||
		{ tail -n 30 "$work/config.log"; fail "configuring the $kind kernel failed"; }
	for item in $required; do
		grep -qx "$item" "$root$dir/tree/.config" || fail "the $kind configuration lacks $item"
	done
	log "configured; building bzImage and the modules on $(nproc) CPUs"
	in_release "$release" sh -c "cd $dir/tree && make -s -j$(nproc) bzImage modules &&
		make -s INSTALL_MOD_PATH=$dir/install INSTALL_MOD_STRIP=1 modules_install" >"$work/build.log" 2>&1 ||
		{ tail -n 40 "$work/build.log"; fail "building the $kind kernel failed (log above)"; }
	echo $(($(date +%s) - start)) >"$root$dir/build-seconds"
	cp "$root$dir/tree/arch/x86/boot/bzImage" "$root$dir/bzImage"
	# make clean keeps what builds external modules (the configuration,
	# the generated headers, Module.symvers): 3.5 GB become 1.9 GB, mostly
	# the source itself.
	in_release "$release" make -s -C "$dir/tree" clean >"$work/clean.log" 2>&1 ||
		{ tail "$work/clean.log"; fail "make clean in the $kind tree failed"; }
	touch "$root$dir/.complete"
	log "built in $(cat "$root$dir/build-seconds") s"
	# The kernels of this kind and series from an older source or another
	# configuration (1.8 GB each) are not used again.
	for old in "$root/var/cache/kvm-exitstats-debug/$kind-$series-"*; do
		[ "$old" = "$root$dir" ] || { log "removing $(basename "$old"), replaced"; rm -rf "$old"; }
	done
fi
kver=$(cat "$root$dir/tree/include/config/kernel.release")
# Installed for src-kvm/build.sh, which builds our modules against
# /lib/modules/KVER/build (a full tree); Debian's unmodified KVM modules of
# the same source are those the kernel's build made, under kernel/arch/x86/kvm.
mkdir -p "$root/usr/lib/modules"
# Relative, so that it resolves inside the root and from here alike.
ln -sfn "../../..$dir/install/lib/modules/$kver" "$root/usr/lib/modules/$kver"
[ -f "$root/usr/lib/modules/$kver/kernel/arch/x86/kvm/kvm.ko" ] ||
	fail "the $kind kernel's own kvm.ko is missing from $dir/install"
echo "$kind kernel $kver: $root$dir (bzImage, install/lib/modules/$kver, tree/)"
