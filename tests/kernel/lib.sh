# shellcheck shell=bash
# Shared helpers of the kernel-side tests: which Debian kernel of a series
# is installed, its image for the emulated host, and where things go.

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build_root=${KES_BUILD_DIR:-$top/build/kernel}
test_cache=${KES_TEST_CACHE:-/var/cache/kvm-exitstats-tests}
# shellcheck source=tests/lib.sh
. "$top/tests/lib.sh"
# shellcheck source=scripts/release-roots.sh
. "$top/scripts/release-roots.sh"

# A kernel target names a Debian kernel series and the release that ships
# it (scripts/series.sh): "6.12" is Debian 12's, "6.12+deb13" Debian 13's.
# Each is built where its release is: on this machine if it runs that
# release, else in that release's build root (scripts/release-roots.sh)
# with its compiler and kbuild.
target_series() {
	echo "${1%+deb13}"
}

is_debian13_target() {
	[ "$(target_release "$1")" = 13 ]
}

# Where a target's headers and source are installed: / or a release's root.
target_root() {
	local prefix
	prefix=$(release_prefix "$(target_release "$1")")
	echo "${prefix:-/}"
}

# The kernel release of a target whose headers are of the same version as
# its installed linux-source (the kernel the tests build for and boot; a
# metapackage such as linux-image-6.12-amd64 may lag behind the source);
# without linux-source, the newest installed headers.
kernel_release_of_series() {
	local target=$1 series root suffix='' dir kver source build
	series=$(target_series "$target")
	root=$(target_root "$target")
	is_debian13_target "$target" && suffix='\+deb13'
	source=$(dpkg-query --admindir="$root/var/lib/dpkg" -W -f '${Version}' "linux-source-$series" 2>/dev/null || true)
	for dir in $(ls -d "$root"/usr/src/linux-headers-"$series".*-amd64 2>/dev/null |
		     grep -E "/linux-headers-${series//./\\.}\.[^-]*(-[0-9]+)?$suffix-amd64\$" | sort -rV); do
		kver=${dir##*/linux-headers-}
		# Debian 12's headers link build to an absolute path, which
		# means a path inside ROOT, not on this machine.
		build=$root/lib/modules/$kver/build
		[ -L "$build" ] && [ "$(readlink "$build" | cut -c1)" = / ] &&
			build=${root%/}$(readlink "$build")
		[ -d "$build" ] || continue
		if [ -n "$source" ] && [ "$(dpkg-query --admindir="$root/var/lib/dpkg" -W -f '${Version}' \
			"linux-headers-$kver" 2>/dev/null)" != "$source" ]; then
			continue
		fi
		echo "$kver"
		return 0
	done
	echo "# no linux-headers-$series.*$suffix-amd64 of the version of linux-source-$series (${source:-not installed}) in $root: run scripts/install-build-deps.sh" >&2
	return 1
}

# The KVM sources that build.sh extracted from TARGET's installed
# linux-source (kept per Debian version in its cache).
extracted_source_dir() {
	local root series version dir
	root=$(target_root "$1")
	series=$(target_series "$1")
	version=$(dpkg-query --admindir="$root/var/lib/dpkg" -W -f '${Version}' "linux-source-$series" 2>/dev/null) ||
		return 1
	dir=${root%/}/var/cache/kvm-exitstats/kept/$series/$version
	[ -f "$dir/.complete" ] || return 1
	echo "$dir"
}

# The Debian release of kernel KVER: 13 for +deb13 kernels, else 12.
kernel_release() {
	case $1 in
	*+deb13-*) echo 13 ;;
	*) echo 12 ;;
	esac
}

# lock_until_exit FILE: waits for, then holds, an exclusive lock on FILE
# until the calling shell ends. The preparing functions below run in command
# substitutions ($(...)), so two suites at once (tests/run.sh's pairs) that
# need the same kernel prepare it once, one after the other.
lock_until_exit() {
	local fd
	mkdir -p "$(dirname "$1")"
	exec {fd}>"$1"
	flock "$fd"
}

# Unpacks the image of kernel KVER (never installed) and prints its
# directory: linux-image-KVER, or its -unsigned twin while the signed image
# is not published (download_kernel_image in scripts/kernel-packages.sh; the
# output says which). From 7.x the image package only pulls in
# linux-binary-KVER (vmlinuz) and linux-modules-KVER, and Debian 13 puts
# modules under usr/lib: all are unpacked, and lib/ leads to usr/lib as in an
# installed system.
kernel_image_dir() {
	local kver=$1 dir debs p taken release prefix inside
	dir=$test_cache/image/$kver
	debs=$test_cache/debs/$kver
	lock_until_exit "$test_cache/image/$kver.lock"
	if [ ! -f "$dir/.complete" ]; then
		rm -rf "$debs" "$dir"
		mkdir -p "$debs" "$dir"
		release=$(kernel_release "$kver")
		prefix=$(release_prefix "$release")
		inside=$(mktemp -d "$prefix/tmp/kes-debs.XXXXXX")
		taken=$(release_kernel_pkgs "$release" "cd /tmp/${inside##*/} && download_kernel_image $kver") ||
			{ rm -rf "$inside"; fail "cannot download the image of $kver from Debian $release's archive"; }
		mv "$inside"/*.deb "$debs/"
		rm -rf "$inside"
		log "$kver: the emulated kernel is $taken$(case $taken in *-unsigned) echo " (the signed linux-image-$kver is not published yet; the same kernel)" ;; esac)"
		for p in "$debs"/*.deb; do
			dpkg -x "$p" "$dir"
		done
		[ -e "$dir/lib" ] || ln -s usr/lib "$dir/lib"
		# linux-binary-KVER ships the kernel where the image's postinst links it from.
		if [ ! -e "$dir/boot/vmlinuz-$kver" ] && [ -f "$dir/lib/modules/$kver/vmlinuz" ]; then
			mkdir -p "$dir/boot"
			ln -s "../lib/modules/$kver/vmlinuz" "$dir/boot/vmlinuz-$kver"
		fi
		[ -f "$dir/boot/vmlinuz-$kver" ] || fail "no kernel in the packages of linux-image-$kver"
		rm -rf "$debs"
		touch "$dir/.complete"
	fi
	echo "$dir"
}

# patched_modules_dir KVER [VARIANT ENV=VALUE...]: builds the modules for
# KVER with the product's build script (in the Debian 13 root for its
# kernels), once per content of src-kvm/ and dkms.conf; prints the
# directory with the .ko files. A VARIANT (a suffix of the directory) is
# built with the ENV given to build.sh (bench/exit-overhead's variants).
patched_modules_dir() {
	local kver=$1 variant=${2:-} dir stamp
	shift
	[ $# -eq 0 ] || shift
	dir=$build_root/$kver$variant
	lock_until_exit "$build_root/$kver.lock"
	stamp=$(cd "$top" && cat dkms.conf $(find src-kvm -type f | sort) | sha256sum | cut -c1-16)
	if [ ! -f "$dir/.stamp" ] || [ "$(cat "$dir/.stamp")" != "$stamp" ]; then
		rm -rf "$dir"
		build_for_kernel "$kver" "$dir" "$@" >&2 || fail "build.sh $kver$variant failed (Debian $(kernel_release "$kver"))"
		echo "$stamp" >"$dir/.stamp"
	fi
	echo "$dir"
}

# build_for_kernel KVER OUTDIR [ENV=VALUE...]: src-kvm/build.sh of this
# tree, run where KVER's release builds (here or in its root); the modules
# land in OUTDIR out here.
build_for_kernel() {
	build_in_release "$(kernel_release "$1")" "$@"
}

# use_debug_kernel KIND TARGET VENDOR WORK: the emulated host boots the
# debug kernel of TARGET that tests/debug-kernel/build.sh builds (KIND
# kasan or kcsan) instead of Debian's; its own KVM modules (Debian's
# unmodified source) are the stock ones, and ours are built against its tree
# into WORK/ours-modules. Sets kver, image (where its modules are, as an
# unpacked image has them), kernel, modules, load_order and
# detector_options.
use_debug_kernel() {
	local kind=$1 target=$2 vendor=$3 work=$4 built
	"$top/tests/debug-kernel/build.sh" --kind "$kind" "$target" >"$work/debug-kernel.log" ||
		{ tail -n 40 "$work/debug-kernel.log"; fail "no $kind kernel of $target"; }
	built=$(tail -n 1 "$work/debug-kernel.log")
	kver=$(echo "$built" | awk '{ print $3 }' | tr -d :)
	image=$(echo "$built" | awk '{ print $4 }')/install
	kernel=${image%/install}/bzImage
	[ -f "$kernel" ] || fail "no debug kernel in '${image%/install}' (build.sh said: $built)"
	modules=$work/ours-modules
	mkdir -p "$modules"
	build_in_release "$(target_release "$target")" "$kver" "$modules" >"$work/build-ours.log" 2>&1 ||
		{ tail -n 30 "$work/build-ours.log"; fail "building our modules against $kver failed"; }
	# Its kvm-amd needs no ccp: the debug kernels have no CCP driver.
	load_order=$(kvm_load_order "$vendor" | sed 's/ ccp / /')
	detector_options=$(debug_kernel_boot_options "$kind")
	log "the emulated host boots the debug kernel $kver ($kind), its own KVM modules being stock"
}

# debug_kernel_boot_options KIND: the kernel parameters a debug kernel of
# tests/debug-kernel/build.sh boots with: KASAN reports every error, not
# only the first. (KCSAN keeps its own sampling rate, one access in 4000;
# the race stress asks for more.)
debug_kernel_boot_options() {
	case $1 in
	kasan) echo kasan_multi_shot ;;
	esac
}

# build_in_release RELEASE KVER OUTDIR [ENV=VALUE...]: the same, for a
# kernel (a self-built one) of the release given.
build_in_release() {
	local release=$1 kver=$2 out=$3 inside rc=0
	shift 3
	inside=$(mktemp -d "$(release_prefix "$release")/tmp/kes-build.XXXXXX")
	cp -a "$top/dkms.conf" "$inside/"
	# src_kvm: another copy of src-kvm (one with a fault injected).
	cp -a "${src_kvm:-$top/src-kvm}" "$inside/src-kvm"
	in_release "$release" env "$@" "/tmp/${inside##*/}/src-kvm/build.sh" "$kver" "/tmp/${inside##*/}/out" || rc=$?
	if [ $rc -eq 0 ]; then
		mkdir -p "$out"
		cp "$inside"/out/*.ko "$out/"
	fi
	rm -rf "$inside"
	return $rc
}

# Copies a module file (.ko, .ko.xz, .ko.zst) into DEST as a plain .ko, for
# busybox insmod.
decompress_module() {
	local f=$1 dest=$2
	case "$f" in
	*.xz) xz -dc "$f" >"$dest/$(basename "${f%.xz}")" ;;
	*.zst) zstd -qdc "$f" >"$dest/$(basename "${f%.zst}")" ;;
	*) cp "$f" "$dest/" ;;
	esac
}

# Copies a module from a kernel image, decompressed.
copy_stock_module() {
	local image=$1 kver=$2 path=$3 dest=$4 f
	f=$(ls "$image/lib/modules/$kver/kernel/$path".ko* 2>/dev/null | head -n1)
	[ -n "$f" ] || fail "$path not found in linux-image-$kver"
	decompress_module "$f" "$dest"
}

# Puts kvm and kvm-VENDOR into ROOT/lib/kes: Debian's own from linux-image
# of KVER (unpacked at IMAGE) when FROM is "stock", else the .ko files in the
# directory FROM.
copy_kvm_modules() {
	local image=$1 kver=$2 vendor=$3 from=$4 root=$5 m
	for m in kvm "kvm-$vendor"; do
		if [ "$from" = stock ]; then
			copy_stock_module "$image" "$kver" "arch/x86/kvm/$m" "$root/lib/kes"
		else
			decompress_module "$(ls "$from/$m.ko"*)" "$root/lib/kes"
		fi
	done
}

# The modules the emulated host loads, in order, for VENDOR (amd or intel):
# Debian's irqbypass (and ccp, which kvm-amd needs even without a CCP
# device), then kvm and kvm-VENDOR.
kvm_load_order() {
	if [ "$1" = amd ]; then
		echo "irqbypass kvm ccp kvm-amd"
	else
		echo "irqbypass kvm kvm-intel"
	fi
}

# A busybox root for the emulated host with Debian's irqbypass and ccp
# modules (kvm-amd needs ccp even without a CCP device) in /lib/kes. A
# debug kernel (tests/debug-kernel/build.sh) has no CCP driver, and its
# kvm-amd needs none.
l1_base_root() {
	local root=$1 image=$2 kver=$3
	mkdir -p "$root"/{bin,dev,proc,sys,lib/kes}
	cp /bin/busybox "$root/bin/busybox"
	copy_stock_module "$image" "$kver" virt/lib/irqbypass "$root/lib/kes"
	case $kver in
	*-kes-*) ;;
	*) copy_stock_module "$image" "$kver" drivers/crypto/ccp/ccp "$root/lib/kes" ;;
	esac
}

pack_initrd() {
	local root=$1 out=$2
	chmod +x "$root/init"
	(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) >"$out"
}

# Boots KERNEL with INITRD under QEMU TCG with AMD SVM (or what boot_accel
# and boot_cpu say) for at most boot_limit seconds (900); serial to LOG.
boot_qemu() {
	local kernel=$1 initrd=$2 log=$3
	shift 3
	timeout "${boot_limit:-900}" qemu-system-x86_64 -accel "${boot_accel:-tcg}" -cpu "${boot_cpu:-max}" -m 1G -nographic \
		-no-reboot -kernel "$kernel" -initrd "$initrd" \
		-append "console=ttyS0 panic=-1 quiet ${boot_append:-}" "$@" >"$log" 2>&1 </dev/null || true
}

# watch_serial JOB LOG SECONDS: waits for the emulated host's QEMU
# (background job JOB, console in LOG) and stops it when LOG has not grown
# for SECONDS; returns 1 then (a hung emulated host), 0 when it ended itself.
watch_serial() {
	local job=$1 log=$2 silence=$3 size=-1 now quiet=0
	while kill -0 "$job" 2>/dev/null; do
		sleep 5
		now=$(stat -c %s "$log" 2>/dev/null || echo 0)
		if [ "$now" != "$size" ]; then
			size=$now
			quiet=0
			continue
		fi
		quiet=$((quiet + 5))
		if [ "$quiet" -ge "$silence" ]; then
			pkill -TERM -P "$job" || true
			wait "$job" || true
			return 1
		fi
	done
	wait "$job" || true
}

# copy_with_libraries PROGRAM ROOT [DEST [FROM]]: copies a dynamically
# linked program and the libraries it needs into ROOT (at DEST); with FROM,
# the program and its libraries are those of the root FROM.
copy_with_libraries() {
	local program=$1 root=$2 dest=${3:-$1} from=${4:-} lib ldd=(ldd)
	mkdir -p "$root$(dirname "$dest")"
	cp -L "$from$program" "$root$dest"
	[ -z "$from" ] || ldd=(chroot "$from" ldd)
	for lib in $("${ldd[@]}" "$program" | grep -o '/[^ ]*'); do
		mkdir -p "$root$(dirname "$lib")"
		cp -L "$from$lib" "$root$lib"
	done
}

# The Bochs that runs the Intel tests: by default the one built for them
# (tests/kernel/build-bochs.sh, several times faster); KES_BOCHS=debian
# runs Debian's bochs package instead, to compare.
bochs_flavour() {
	case ${KES_BOCHS:-built} in
	built | debian) echo "${KES_BOCHS:-built}" ;;
	*) fail "KES_BOCHS must be built or debian, not '$KES_BOCHS'" ;;
	esac
}

# Boots KERNEL with INITRD under Bochs (Intel VMX, one CPU) for at most
# boot_limit seconds (900); serial to LOG; Bochs's files go to WORK/bochs.
boot_bochs() {
	local kernel=$1 initrd=$2 log=$3 dir=$4/bochs flavour binary
	flavour=$(bochs_flavour) || return 1
	if [ "$flavour" = built ]; then
		binary=$("$top/tests/kernel/build-bochs.sh" --cached) || fail "cannot build Bochs for the Intel tests"
	fi
	mkdir -p "$dir/iso/isolinux"
	cp /usr/lib/ISOLINUX/isolinux.bin /usr/lib/syslinux/modules/bios/ldlinux.c32 "$dir/iso/isolinux/"
	cp "$kernel" "$dir/iso/isolinux/vmlinuz"
	cp "$initrd" "$dir/iso/isolinux/initrd.gz"
	cat >"$dir/iso/isolinux/isolinux.cfg" <<EOF
default l1
prompt 0
label l1
  kernel vmlinuz
  append initrd=initrd.gz console=ttyS0,115200 panic=-1 quiet ${boot_append:-}
EOF
	xorriso -as mkisofs -quiet -o "$dir/boot.iso" -b isolinux/isolinux.bin \
		-c isolinux/boot.cat -no-emul-boot -boot-load-size 4 -boot-info-table "$dir/iso" 2>/dev/null
	cat >"$dir/bochsrc" <<EOF
megs: ${bochs_megs:-1024}
cpu: model=corei7_haswell_4770, count=1, ips=100000000, reset_on_triple_fault=0, ignore_bad_msrs=1
clock: sync=none
romimage: file=/usr/share/bochs/BIOS-bochs-latest
vgaromimage: file=/usr/share/vgabios/vgabios.bin
pci: enabled=1, chipset=i440fx
ata0-master: type=cdrom, path=$dir/boot.iso, status=inserted
boot: cdrom
com1: enabled=1, mode=file, dev=$log
mouse: enabled=0
log: $dir/bochs.log
EOF
	if [ "$flavour" = built ]; then
		echo "display_library: nogui" >>"$dir/bochsrc"
		timeout "${boot_limit:-900}" "$binary" -q -f "$dir/bochsrc" >"$dir/bochs.out" 2>&1 </dev/null || true
		return
	fi
	# Debian's build has no nogui display, needs a sound driver and stops
	# in its debugger at the first instruction.
	cat >>"$dir/bochsrc" <<EOF
display_library: rfb, options="timeout=0"
sound: waveoutdrv=dummy, waveindrv=dummy, midioutdrv=dummy
speaker: enabled=0
EOF
	echo c >"$dir/bochs.rc"
	timeout "${boot_limit:-900}" bochs-bin -q -f "$dir/bochsrc" -rc "$dir/bochs.rc" >"$dir/bochs.out" 2>&1 </dev/null || true
}

# Statically linked helper programs that run in the emulated host.
build_l1_program() {
	local src=$1 out=$2
	gcc -static -O2 -Wall -Wextra -Werror -pthread -I "$top/tests/kernel" -o "$out" "$src"
}
