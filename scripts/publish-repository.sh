#!/bin/bash
# Publishes the built packages as an apt repository signed with an OpenPGP
# key (reprepro signs its InRelease and Release.gpg with gpg), one suite per
# Debian release: bookworm (Debian 12) and trixie (Debian 13). Each suite
# takes the packages built for its release: build/package, except bookworm
# on a Debian 13 machine, which takes build/package/debian12-build (a
# command built on Debian 13 needs Debian 13's C library). Publishing again
# adds a newer version; the repository keeps one version of each package per
# suite, the newest published.
#
# usage: scripts/publish-repository.sh [--key KEY] [--packages DIR] REPOSITORY
#   --key KEY       the signing key: a fingerprint, key ID or user ID in gpg's
#                   keyring ($GNUPGHOME or ~/.gnupg); default: gpg's default key
#   --packages DIR  take every suite's packages from DIR instead
# Serve REPOSITORY with any web server; beside the suites it holds
# kvm-exitstats-archive-keyring.gpg, the public key that users' apt sources
# name with Signed-By (README.md, "Install").
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/release-roots.sh
. "$top/scripts/release-roots.sh"
usage="usage: scripts/publish-repository.sh [--key KEY] [--packages DIR] REPOSITORY"

key='' packages=''
while [ $# -gt 1 ]; do
	case $1 in
	--key) key=${2:?$usage}; shift 2 ;;
	--packages) packages=${2:?$usage}; shift 2 ;;
	*) echo "$usage" >&2; exit 2 ;;
	esac
done
case ${1:-} in
-h | --help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
'' | -*) echo "$usage" >&2; exit 2 ;;
esac

error() {
	echo "kvm-exitstats: error: $*" >&2
	exit 1
}

command -v reprepro >/dev/null || error "reprepro is not installed: apt install reprepro"
command -v gpg >/dev/null || error "gpg is not installed: apt install gpg"
fingerprint=$(gpg --batch --with-colons --list-secret-keys ${key:+"$key"} 2>/dev/null |
	awk -F: '$1 == "sec" { want = 1; next } want && $1 == "fpr" { print $10; exit }')
[ -n "$fingerprint" ] ||
	error "no secret key${key:+ '$key'} in gpg's keyring (${GNUPGHOME:-~/.gnupg}): make one with 'gpg --quick-gen-key \"NAME <EMAIL>\"' or name one with --key"

machine=$(machine_release) || exit 2
mkdir -p "$1"
repo=$(cd "$1" && pwd)
# packages_of RELEASE: the directory with the packages built for RELEASE.
packages_of() {
	if [ -n "$packages" ]; then
		echo "$packages"
	elif [ "$1" = 12 ] && [ "$machine" = 13 ]; then
		echo "$top/build/package/debian12-build"
	else
		echo "$top/build/package"
	fi
}

mkdir -p "$repo/conf"
: >"$repo/conf/distributions.new"
for release in 12 13; do
	cat >>"$repo/conf/distributions.new" <<DIST
Codename: $(release_codename "$release")
Origin: kvm-exitstats
Label: kvm-exitstats
Architectures: amd64
Components: main
Description: kvm-exitstats for Debian $release
SignWith: $fingerprint

DIST
done
mv "$repo/conf/distributions.new" "$repo/conf/distributions"

for release in 12 13; do
	codename=$(release_codename "$release")
	dir=$(packages_of "$release")
	debs=()
	for deb in "$dir"/kvm-exitstats-dkms_*_all.deb "$dir"/kvm-exitstats_*_amd64.deb; do
		[ -f "$deb" ] && debs+=("$deb")
	done
	[ ${#debs[@]} -eq 2 ] ||
		error "no kvm-exitstats-dkms and kvm-exitstats packages in $dir for $codename: build them with tests/package/build-packages.sh$([ "$dir" = "$top/build/package/debian12-build" ] && echo " and tests/package/build-packages-in-root.sh 12")"
	for deb in "${debs[@]}"; do
		reprepro --silent -b "$repo" includedeb "$codename" "$deb" ||
			error "reprepro could not add $(basename "$deb") to $codename (a different build of a version already published must get a new version)"
		echo "kvm-exitstats: $codename: $(dpkg-deb -f "$deb" Package) $(dpkg-deb -f "$deb" Version)"
	done
done

gpg --batch --export "$fingerprint" >"$repo/kvm-exitstats-archive-keyring.gpg"
echo "kvm-exitstats: published in $repo, signed by $fingerprint (public key: $repo/kvm-exitstats-archive-keyring.gpg)"
