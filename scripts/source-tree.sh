# shellcheck shell=bash
# The files of kvm-exitstats' source tree, as a release archive has them.

# copy_source_tree TOP DEST: copies the source tree at TOP into DEST: what
# git tracks (and what is staged) in a clone; in a tree without git (a
# release archive, apt-get source), every file but build/ and .git.
copy_source_tree() {
	local top=$1 dest=$2
	mkdir -p "$dest"
	if command -v git >/dev/null && git -C "$top" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		(cd "$top" && git ls-files -z --cached | xargs -0 cp --parents -t "$dest")
	else
		(cd "$top" && find . \( -path ./build -o -path ./.git \) -prune -o -type f -print0 |
			xargs -0 cp --parents -t "$dest")
	fi
}
