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
	headers_packages "$1" | awk -v v="$2" '$2 == v { print $1; exit }' | grep .
}
