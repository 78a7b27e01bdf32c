#!/usr/bin/env python3
"""Tells, for a kernel source, which hooks of kvm-exitstats still apply.

usage: scripts/hooks-check.py SOURCE [SERIES]

SOURCE is a linux-source tarball (/usr/src/linux-source-X.Y.tar.xz) or a
kernel source directory. SERIES picks src-kvm/hooks/SERIES.patch; by
default the source's own series if it has hooks, else the newest series.

Each hunk of the hooks is tried alone on the source with patch --dry-run,
first exactly (-F0), then with patch's default fuzz; one line per hunk says
where it goes, what it adds and whether it applies exactly, only with fuzz
or offset, or not at all. The exit status is 0 when every hunk applies
exactly, 1 otherwise, 2 on a usage error.
"""
import os
import re
import subprocess
import sys
import tarfile
import tempfile

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HOOKS = os.path.join(TOP, "src-kvm", "hooks")


def supported_series():
    with open(os.path.join(TOP, "dkms.conf")) as conf:
        match = re.search(r'^KVM_EXITSTATS_SERIES="([^"]*)"', conf.read(), re.M)
    return match.group(1).split() if match else []


def source_tree(source, workdir):
    """The directory holding the source's Makefile and arch/x86/kvm."""
    if os.path.isdir(source):
        return source
    with tarfile.open(source) as tar:
        top = tar.next().name.split("/")[0]
    # tar(1) rather than tarfile: it reads the xz stream much faster.
    subprocess.run(["tar", "-xf", source, "-C", workdir, "--wildcards",
                    f"{top}/Makefile", f"{top}/arch/x86/kvm/*", f"{top}/virt/kvm/*"],
                   check=True)
    return os.path.join(workdir, top)


def kernel_version(tree):
    fields = {}
    with open(os.path.join(tree, "Makefile")) as makefile:
        for line in makefile:
            key, _, value = line.partition("=")
            if key.strip() in ("VERSION", "PATCHLEVEL", "SUBLEVEL"):
                fields[key.strip()] = value.strip()
    return fields.get("VERSION", "?"), fields.get("PATCHLEVEL", "?"), fields.get("SUBLEVEL", "?")


def hunks(patch_text):
    """(file header, hunk text, target file) for each hunk of a unified diff."""
    result, header, target, hunk = [], "", "", None
    for line in patch_text.splitlines(keepends=True):
        if line.startswith("diff ") or line.startswith("--- "):
            if hunk:
                result.append((header, "".join(hunk), target))
                hunk = None
            header = line if line.startswith("diff ") else header + line
        elif line.startswith("+++ "):
            header += line
            target = line[4:].strip().split("\t")[0][2:]
        elif line.startswith("@@"):
            if hunk:
                result.append((header, "".join(hunk), target))
            hunk = [line]
        elif hunk is not None:
            hunk.append(line)
    if hunk:
        result.append((header, "".join(hunk), target))
    return result


def dry_run(tree, header, hunk, fuzz):
    args = ["patch", "-p1", "--dry-run", "--batch", "--forward", "-d", tree]
    if fuzz is not None:
        args.append(f"-F{fuzz}")
    run = subprocess.run(args, input=header + hunk, capture_output=True, text=True)
    return run.returncode == 0, run.stdout


def verdict(tree, header, hunk):
    exact, out = dry_run(tree, header, hunk, 0)
    if exact and "offset" not in out:
        return "applies", True
    if exact:
        line = re.search(r"offset (-?\d+) lines?", out)
        return f"applies {line.group(1) if line else 'moved'} lines away", True
    fuzzy, out = dry_run(tree, header, hunk, None)
    if fuzzy:
        return "applies only with fuzz: check that it lands where it must", False
    return "DOES NOT APPLY: find the site again (docs/porting.md)", False


def main():
    if len(sys.argv) not in (2, 3) or sys.argv[1] in ("-h", "--help"):
        print(__doc__.strip())
        return 0 if len(sys.argv) == 2 else 2
    source = sys.argv[1]
    if not os.path.exists(source):
        print(f"hooks-check: {source} does not exist", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as workdir:
        tree = source_tree(source, workdir)
        version = kernel_version(tree)
        own = f"{version[0]}.{version[1]}"
        known = supported_series()
        series = sys.argv[2] if len(sys.argv) == 3 else (own if own in known else known[-1])
        path = os.path.join(HOOKS, f"{series}.patch")
        if not os.path.exists(path):
            print(f"hooks-check: no hooks for {series}; there are: {' '.join(known)}", file=sys.stderr)
            return 2
        print(f"# hooks of {series} against Linux {'.'.join(version)} ({source})")
        with open(path) as patch:
            all_hunks = hunks(patch.read())
        exact = 0
        for header, hunk, target in all_hunks:
            added = [l[1:].strip() for l in hunk.splitlines() if l.startswith("+")]
            what, ok = verdict(tree, header, hunk)
            exact += ok
            print(f"{target}: {added[0] if added else '?'}{' ...' if len(added) > 1 else ''}: {what}")
        print(f"{exact} of {len(all_hunks)} hunks apply exactly")
        return 0 if exact == len(all_hunks) else 1


if __name__ == "__main__":
    sys.exit(main())
