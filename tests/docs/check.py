#!/usr/bin/env python3
"""The documents against the tree, so that nothing in them goes stale
unnoticed:

- versions: dkms.conf, CMakeLists.txt, debian/changelog and the man page
  name one release; a document names no other as the package's, the
  modules' or a path's version (a feature's "0.4.0 or later" is history
  and allowed);
- files and links: every path of the tree a document names exists, and
  every link (with its #anchor) leads somewhere;
- options: every `kvm-exitstats ...` a document shows uses only options
  its subcommand defines (as print_command_line prints them);
- the README's command lines: each `kvm-exitstats` line of its code blocks
  runs against the model hypervisor and a modelled host without a usage
  error (exit 2);
- sample outputs: a block marked `<!-- sample: ... -->` was copied from a
  test run by scripts/update-doc-samples.py; it must show the command it
  says and the layout the command prints today: every line without
  figures that the command prints for it on the model (the table's header,
  for one) is in the sample, and every note in parentheses has the same
  words.

usage: check.py PRINT_COMMAND_LINE KVM_EXITSTATS_MODEL [TOP]
"""
import os
import re
import shlex
import subprocess
import sys
import tempfile

TOP = os.path.abspath(sys.argv[3] if len(sys.argv) > 3 else os.path.join(os.path.dirname(__file__), "../.."))
PRINTER, MODEL = (os.path.abspath(a) for a in sys.argv[1:3])
MARKDOWN = ["README.md"] + sorted(
    "docs/" + f for f in os.listdir(os.path.join(TOP, "docs")) if f.endswith(".md") and f != "history.md")
MAN_PAGE = "guest-utils/doc/kvm-exitstats.1"
TREE_DIRS = ("scripts/", "tests/", "docs/", "debian/", "src-kvm/", "guest-utils/", "bench/", ".ci/")
TREE_FILES = ("dkms.conf", "CMakeLists.txt")

failures = 0


def check(what, ok, detail=""):
    global failures
    if ok:
        print(f"ok - {what}")
    else:
        failures += 1
        print(f"not ok - {what}{': ' + detail if detail else ''}")


def read(path):
    with open(os.path.join(TOP, path), encoding="utf-8") as f:
        return f.read()


def release_versions():
    return {
        "dkms.conf": re.search(r'^PACKAGE_VERSION="([^"]+)"', read("dkms.conf"), re.M).group(1),
        "CMakeLists.txt": re.search(r"project\(kvm-exitstats VERSION ([0-9.]+)", read("CMakeLists.txt")).group(1),
        "debian/changelog": re.match(r"kvm-exitstats \(([0-9.]+)", read("debian/changelog")).group(1),
        MAN_PAGE: re.search(r'^\.TH .*"kvm-exitstats ([0-9.]+)"', read(MAN_PAGE), re.M).group(1),
    }


def code_blocks(text):
    """(start line, info string, lines) of each fenced block."""
    blocks, lines, inside = [], text.split("\n"), None
    for number, line in enumerate(lines, 1):
        if line.startswith("```"):
            if inside is None:
                inside = (number, line[3:].strip(), [])
            else:
                blocks.append(inside)
                inside = None
        elif inside is not None:
            inside[2].append(line)
    return blocks


def inline_code(text):
    prose = re.sub(r"^```.*?^```", "", text, flags=re.S | re.M)
    return re.findall(r"`([^`\n]+)`", prose)


# --- versions -------------------------------------------------------------

HISTORY = re.compile(r"^\S* *(or|and) later|^ on\b|^\)? *on[,)]")
TIED = [
    r"kvm-exitstats(?:-dkms)?[_/-](\d+\.\d+\.\d+)",      # package files, /usr/src/, dkms install
    r"kvm-exitstats(?:-dkms)? (\d+\.\d+\.\d+)",          # "kvm-exitstats 0.5.0"
    r"\bkvm(?:-amd|-intel)? (\d+\.\d+\.\d+)",            # "kvm-amd 0.5.0" in a sample
    r"/sys/module/kvm/version[^\n]*?(\d+\.\d+\.\d+)",    # what the loaded kvm says
]


def stale_versions(path, text, release):
    found = []
    for pattern in TIED:
        for m in re.finditer(pattern, text):
            if m.group(1) != release and not HISTORY.search(text[m.end(1):m.end(1) + 12]):
                found.append(m.group(0))
    for start, _, lines in code_blocks(text):
        for offset, line in enumerate(lines, 1):
            for m in re.finditer(r"(?<![\d.])0\.\d+\.\d+(?![\d.])", line):
                if m.group(0) != release:
                    found.append(f"line {start + offset}: {line.strip()}")
    return found


# --- files and links --------------------------------------------------------

def slug(heading):
    heading = re.sub(r"[`*_]", "", heading.strip().lower())
    return re.sub(r"[^a-z0-9 -]", "", heading).replace(" ", "-")


def anchors(path):
    return {slug(h) for h in re.findall(r"^#+ (.+)$", read(path), re.M)}


def broken_links(path, text):
    broken = []
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if re.match(r"[a-z]+:", target):
            continue
        file, _, anchor = target.partition("#")
        resolved = os.path.normpath(os.path.join(os.path.dirname(path), file)) if file else path
        if not os.path.exists(os.path.join(TOP, resolved)):
            broken.append(target)
        elif anchor and resolved.endswith(".md") and anchor not in anchors(resolved):
            broken.append(f"{target} (no such heading)")
    return broken


def missing_paths(text):
    missing = []
    for span in inline_code(text) + [l for _, _, ls in code_blocks(text) for l in ls]:
        for word in re.split(r"[\s(),;'\"=]+", span):
            word = word.rstrip(".:")
            tree = word.startswith(TREE_DIRS) or word in TREE_FILES
            placeholder = re.search(r"[*<>{}$]|\.\.\.|/[A-Z][A-Z0-9_-]*(/|$|\.)|\[", word)
            if tree and not placeholder and not os.path.exists(os.path.join(TOP, word)):
                missing.append(word)
    return missing


def man_examples(man_text):
    section = man_text.split(".SH EXAMPLES", 1)[1].split(".SH ", 1)[0]
    return [line.replace("\\-", "-") for line in section.split("\n") if not line.startswith(".")]


def shown_lines(path, text):
    """Where a document shows command lines: code spans and blocks (the man page's examples)."""
    if path == MAN_PAGE:
        return man_examples(text)
    return inline_code(text) + [l for _, _, ls in code_blocks(text) for l in ls]


# --- options ---------------------------------------------------------------

def definitions():
    options, subcommands = {}, {}
    out = subprocess.run([PRINTER], check=True, capture_output=True, text=True).stdout
    for line in out.splitlines():
        path, names, kind = line.split("\t")
        options.setdefault(path, {})
        subcommands.setdefault(path, [])
        if names == "subcommand":
            subcommands[path].append(kind)
        else:
            for name in names.split(","):
                options[path][name] = kind == "value"
    return options, subcommands


def command_lines(line):
    """The kvm-exitstats commands of a shell line (joined by && or ;)."""
    return [part for part in re.split(r"\s(?:&&|;)\s", line) if command_words(part) is not None]


def command_words(line):
    """The words of a kvm-exitstats command line in a document, or None."""
    line = re.sub(r"^\s*(\$|#|sudo)\s+", "", line)
    if not line.startswith("kvm-exitstats ") and line != "kvm-exitstats":
        return None
    line = re.split(r"\s(?:\||&&|;|>|2>|#)\s?", line)[0]
    try:
        words = shlex.split(line.replace("[", " ").replace("]", " "))
    except ValueError:
        return None
    return words[1:]


def unknown_options(words, options, subcommands):
    """Options the command line uses that its (sub)command does not define."""
    path, given, unknown = "", [], []
    for word in words:
        if word == "--":
            break
        if word.startswith("-") and len(word) > 1:
            given.append((path, word.split("=")[0]))
        elif word in subcommands.get(path, []):
            path = f"{path} {word}".strip()
    for where, option in given:
        if option not in options.get(where, {}) or option not in options.get(path, {}):
            unknown.append(f"{option} (of '{('kvm-exitstats ' + path).strip()}')")
    return unknown


# --- the README's command lines, on the model -------------------------------

def model_host(root, vm_names):
    names = " ".join(shlex.quote(n) for n in sorted(vm_names) or ["web1"])
    subprocess.run(["bash", "-c", f'. {shlex.quote(TOP)}/tests/guest/fake_host.sh; fake_host {shlex.quote(root)}; '
                    f'pid=4242; for n in {names}; do FAKE_LATENCY=yes fake_vm {shlex.quote(root)} $pid 11 "$n"; '
                    f'FAKE_LATENCY=yes fake_counts {shlex.quote(root)} $pid-11 3000 9000000; pid=$((pid + 1)); done'],
                   check=True)


def run_on_model(words, work):
    """Runs a documented command line on the model; returns (status, output)."""
    words = list(words)
    # run's command is the document's (make, portio); the model runs true.
    if "run" in words and "--" in words:
        words = words[:words.index("--") + 1] + ["true"]
    vm_names = {words[i + 1] for i, w in enumerate(words[:-1]) if w in ("--vm", "--wait")}
    host_root = os.path.join(work, "host")
    model_host(host_root, vm_names)
    # A reason named in capitals is Intel's (EPT_VIOLATION), else AMD's (npf).
    if any(re.match(r"^[A-Z_]+$", w) for w in words):
        io, fault, cpuid, msr, numbering = "IO_INSTRUCTION", "EPT_VIOLATION", "CPUID", "MSR_WRITE", "vmx"
    else:
        io, fault, cpuid, msr, numbering = "io", "npf", "cpuid", "msr", "svm"
    settings = (f"numbering={numbering} host-root={host_root} pace=0.01 "
                f"exits={io}:9776:29304,{fault}:5743:341507,{cpuid}:1517:41841 "
                f"run-exits={io}:2050:16744,{msr}:44:189889 tick-exits={io}:100:20000")
    env = dict(os.environ, KES_MODEL=settings)
    for word in words:
        if word.endswith(".csv") and not os.path.exists(os.path.join(work, word)) and "plot" in words:
            with open(os.path.join(work, word), "w") as recording:
                subprocess.run([MODEL, "watch", "--csv", "--count", "2"], stdout=recording, env=env, check=True)
    try:
        # A usage error ends the command at once; one that still runs
        # (watch, record --wait) has taken its command line.
        done = subprocess.run([MODEL, *words], cwd=work, env=env, capture_output=True, text=True, timeout=1,
                              stdin=subprocess.DEVNULL)
        return done.returncode, done.stdout + done.stderr
    except subprocess.TimeoutExpired:
        return None, "still running after 1 s (not a usage error)"


# --- samples ----------------------------------------------------------------

NUMBER = re.compile(r"(?<![A-Za-z\d])\d[\d,.]*")


def skeleton(line):
    return re.sub(r"\s+", " ", NUMBER.sub("#", line)).strip()


def sample_problems(marker, lines, work):
    shown = marker.split(" ", 1)[1] if marker.startswith("[") else marker
    if not lines or lines[0] != shown:
        return [f"the sample's first line is not '{shown}'"]
    if command_words(shown) is None:
        return [f"'{shown}' is not a kvm-exitstats command line"]
    status, output = run_on_model(command_words(shown), work)
    if status not in (0, None):
        return [f"'{shown}' fails on the model (exit {status}): {output.strip()[:200]}"]
    problems = []
    sample_set, sample_skeletons = set(lines), {skeleton(l) for l in lines}
    for line in output.splitlines():
        if line.strip() and "#" not in skeleton(line) and line not in sample_set and line.startswith((" ", "reason")):
            problems.append(f"the command prints '{line.strip()}' now")
        elif line.startswith("(") and skeleton(line) not in sample_skeletons:
            problems.append(f"the command's note reads '{line}' now")
    return problems


def main():
    options, subcommands = definitions()
    versions = release_versions()
    release = versions["dkms.conf"]
    check(f"dkms.conf, CMakeLists.txt, debian/changelog and the man page name one release ({release})",
          len(set(versions.values())) == 1, str(versions))

    for path in MARKDOWN + [MAN_PAGE]:
        text = read(path)
        stale = stale_versions(path, text, release)
        check(f"{path} names no version but {release} as the release's", not stale, "; ".join(stale))
        if path.endswith(".md"):
            broken = broken_links(path, text)
            check(f"{path}: every link leads to a file (and heading) that exists", not broken, ", ".join(broken))
            missing = missing_paths(text)
            check(f"{path}: every path of the tree it names exists", not missing, ", ".join(sorted(set(missing))))
        unknown = []
        for span in shown_lines(path, text):
            for command in command_lines(span):
                unknown += unknown_options(command_words(command), options, subcommands)
        check(f"{path}: every kvm-exitstats option it shows exists where it is used", not unknown,
              ", ".join(sorted(set(unknown))))

    readme = read("README.md")
    with tempfile.TemporaryDirectory() as work:
        examples = [(f"README.md line {start}+", line) for start, _, lines in code_blocks(readme) for line in lines]
        examples += [(f"{MAN_PAGE} EXAMPLES", line) for line in man_examples(read(MAN_PAGE))]
        for where, line in examples:
            for command in command_lines(line):
                status, output = run_on_model(command_words(command), work)
                check(f"{where}: '{command.strip()}' is no usage error on the model host (exit {status})",
                      status != 2, output.strip()[:300])
        markers = 0
        for path in MARKDOWN:
            text_lines = read(path).split("\n")
            for number, line in enumerate(text_lines):
                m = re.match(r"^<!-- sample: (.+) -->$", line)
                if not m:
                    continue
                markers += 1
                block = []
                if number + 1 < len(text_lines) and text_lines[number + 1].startswith("```"):
                    for inner in text_lines[number + 2:]:
                        if inner.startswith("```"):
                            break
                        block.append(inner)
                problems = sample_problems(m.group(1), block, work)
                check(f"{path} line {number + 1}: the sample of '{m.group(1)}' has today's layout", not problems,
                      "; ".join(problems))
        check("the documents mark at least one sample output from a test run", markers > 0)
    print(f"{failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
