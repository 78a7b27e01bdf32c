# shellcheck shell=bash
# Debian's kernel packages of a series (6.1, 6.12) as apt sees them.

# The candidate version of linux-source-SERIES.
source_version() {
	apt-cache policy "linux-source-$1" | sed -n 's/^  Candidate: //p' | grep -v '(none)'
}

# The generic amd64 headers packages of SERIES (not -rt, not -cloud), newest
# first, each as "PACKAGE VERSION".
headers_packages() {
	local series=$1 p
	for p in $(apt-cache pkgnames "linux-headers-$series." |
		   grep -E "^linux-headers-${series//./\\.}\.[^-]*(-[0-9]+)?-amd64\$" | sort -rV); do
		echo "$p $(apt-cache show --no-all-versions "$p" | sed -n 's/^Version: //p')"
	done
}

# The headers package whose version is VERSION.
headers_for() {
	headers_packages "$1" | awk -v v="$2" '$2 == v && !found { print $1; found = 1 }' | grep .
}

# The package of kernel KVER's image as apt has it now: linux-image-KVER, or,
# while Debian has not published that signed image yet (it follows the
# source, the headers and the unsigned image by days at a point release),
# linux-image-KVER-unsigned, which holds the same kernel. apt-cache show of
# a package that is not published prints nothing and exits 0. (No grep -q
# or awk exit on pipes here: callers may run with pipefail.)
image_package() {
	local p
	for p in "linux-image-$1" "linux-image-$1-unsigned"; do
		apt-cache show --no-all-versions "$p" 2>/dev/null | grep '^Package:' >/dev/null &&
			{ echo "$p"; return 0; }
	done
	return 1
}

# Downloads into the current directory what kernel KVER's image is made of
# (from 7.x the image package only pulls in linux-binary-KVER and
# linux-modules-KVER); prints the image package it took.
download_kernel_image() {
	local kver=$1 image p
	image=$(image_package "$kver") ||
		{ echo "neither linux-image-$kver nor linux-image-$kver-unsigned is in the package lists" >&2; return 1; }
	for p in "$image" "linux-binary-$kver" "linux-modules-$kver"; do
		apt-cache show --no-all-versions "$p" 2>/dev/null | grep '^Package:' >/dev/null || continue
		apt-get download -q "$p" >/dev/null 2>&1 || { echo "apt-get download $p failed" >&2; return 1; }
	done
	echo "$image"
}
