# shellcheck shell=bash
# The kernel series kvm-exitstats supports, for scripts and tests: read from
# dkms.conf's KVM_EXITSTATS_SERIES, the one list the product itself reads
# (DKMS and src-kvm/build.sh). Adding a series there adds it everywhere.
#
# Which Debian release ships a series is a fact of Debian's archive, not a
# second list: Debian 12 (bookworm) carries the series up to 6.12, Debian 13
# (trixie, with trixie-backports) 6.12 and every later one. A kernel target
# names a series and the release whose kernel it is: "6.12" is Debian 12's
# 6.12, "6.12+deb13" Debian 13's; a series only one release ships is named
# alone ("6.1", "7.3").

# KES_DKMS_CONF: another dkms.conf (tests of this file).
kes_series_dkms_conf=${KES_DKMS_CONF:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/dkms.conf}

# The supported series, oldest first.
supported_series() {
	local line
	line=$(sed -n 's/^KVM_EXITSTATS_SERIES="\(.*\)"$/\1/p' "$kes_series_dkms_conf")
	[ -n "$line" ] || { echo "kvm-exitstats: error: no KVM_EXITSTATS_SERIES line in $kes_series_dkms_conf" >&2; return 1; }
	tr ' ' '\n' <<<"$line" | sed '/^$/d' | sort -V | paste -sd' '
}

# series_at_most A B: whether series A is B or older.
series_at_most() {
	[ "$(printf '%s\n%s\n' "$1" "$2" | sort -V | head -n 1)" = "$1" ]
}

# The last series of Debian 12 and the first of Debian 13.
kes_debian12_newest_series=6.12
kes_debian13_oldest_series=6.12

# release_series N: the supported series Debian N ships, oldest first.
release_series() {
	local series out=()
	for series in $(supported_series); do
		case $1 in
		12) series_at_most "$series" "$kes_debian12_newest_series" && out+=("$series") ;;
		13) series_at_most "$kes_debian13_oldest_series" "$series" && out+=("$series") ;;
		*) echo "kvm-exitstats: error: Debian $1 is not a release kvm-exitstats builds for (12, 13)" >&2; return 1 ;;
		esac
	done
	echo "${out[*]}"
}

# release_targets N: the kernel targets of Debian N, oldest first.
release_targets() {
	local series out=() debian12
	debian12=" $(release_series 12) "
	for series in $(release_series "$1"); do
		if [ "$1" = 13 ] && [[ $debian12 == *" $series "* ]]; then
			out+=("$series+deb13")
		else
			out+=("$series")
		fi
	done
	echo "${out[*]}"
}

# Every kernel target, Debian 12's then Debian 13's, each oldest first.
kernel_targets() {
	echo "$(release_targets 12) $(release_targets 13)"
}

# The release whose kernel a target is.
target_release() {
	case $1 in
	*+deb13) echo 13 ;;
	*) if [[ " $(release_series 12) " == *" $1 "* ]]; then echo 12; else echo 13; fi ;;
	esac
}

# The series both releases carry (Debian 12's newest, Debian 13's own).
shared_series() {
	echo "$kes_debian12_newest_series"
}

# The newest series, the one the end-to-end tests and selftests run on.
newest_target() {
	local all
	all=$(release_targets 13)
	echo "${all##* }"
}

# The target of release N's default kernel (what linux-image-amd64
# follows): its oldest series, the later ones come from backports.
release_default_target() {
	local all
	all=$(release_targets "$1") || return 1
	echo "${all%% *}"
}

# release_series_from_backports "SERIES...": those of the given Debian 13
# series that come from trixie-backports (every one after its own 6.12).
release_series_from_backports() {
	local series out=()
	for series in $1; do
		[ "$series" != "$kes_debian13_oldest_series" ] &&
			series_at_most "$kes_debian13_oldest_series" "$series" && out+=("$series")
	done
	echo "${out[*]}"
}
