#!/usr/bin/env python3
"""The rules of tests/debug-kernel/reports.py, on kernel logs written here:
a report of the KVM modules that the baseline lacks fails and is printed
whole; one the baseline has, one without a KVM frame and one that
not-ours.txt names do not."""
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ERROR_OF_OURS = """\
[   12.345678] ==================================================================
[   12.345679] BUG: KASAN: slab-use-after-free in kvm_exitstats_retire_rows+0x18d/0x1e0 [kvm]
[   12.345680] Read of size 8 at addr ff11000006c18000 by task race_stress/54
[   12.345681]  kvm_exitstats_vcpu_destroy+0x1db/0x200 [kvm]
"""
RACE_OF_THE_CORE = """\
[    3.000000] BUG: KCSAN: data-race in ps2_do_sendbyte / ps2_interrupt
[    3.000001]  ps2_interrupt+0x189/0x200
"""
RACE_OF_STOCK_KVM = """\
[    9.000000] BUG: KCSAN: data-race in kthread_is_per_cpu / kvm_arch_vcpu_ioctl_run [kvm]
[    9.000001]  kvm_arch_vcpu_ioctl_run+0x1e0b/0x2990 [kvm]
"""
WARNING_OF_KVM = """\
[    5.000000] WARNING: CPU: 1 PID: 77 at arch/x86/kvm/x86.c:1234 kvm_arch_vcpu_ioctl_run+0x10/0x20 [kvm]
[    5.000001]  kvm_vcpu_ioctl+0x2df/0x910 [kvm]
"""
# The same warning met on another CPU by another task, at another offset.
WARNING_OF_KVM_ELSEWHERE = WARNING_OF_KVM.replace("CPU: 1 PID: 77", "CPU: 0 PID: 91").replace(
    "0x10/0x20", "0x14/0x20")

failures = 0


def judge(directory, baseline, log):
    paths = []
    for name, text in (("baseline", baseline), ("log", log)):
        path = os.path.join(directory, name)
        with open(path, "w") as f:
            f.write("KES-DMESG-BEGIN\n" + text + "KES-DMESG-END\n")
        paths.append(path)
    return subprocess.run([sys.executable, os.path.join(HERE, "reports.py")] + paths,
                          capture_output=True, text=True)


def check(what, ok, output=""):
    global failures
    print(("ok" if ok else "not ok") + " - " + what)
    if not ok:
        failures += 1
        print("".join("# " + line + "\n" for line in output.splitlines()))


with tempfile.TemporaryDirectory() as directory:
    result = judge(directory, "", ERROR_OF_OURS)
    check("a KASAN report in our code that the baseline lacks fails, printed whole",
          result.returncode == 1 and "# | [   12.345681]  kvm_exitstats_vcpu_destroy" in result.stdout,
          result.stdout)
    result = judge(directory, "", RACE_OF_THE_CORE)
    check("a race without a frame of the KVM modules is not ours",
          result.returncode == 0 and "not ours (no frame of the KVM modules)" in result.stdout,
          result.stdout)
    result = judge(directory, "", RACE_OF_STOCK_KVM)
    check("a race of stock KVM named in not-ours.txt is not ours, with the reason",
          result.returncode == 0 and "PF_VCPU" in result.stdout, result.stdout)
    result = judge(directory, WARNING_OF_KVM, WARNING_OF_KVM_ELSEWHERE)
    check("a KVM warning the baseline has (another CPU, task, offset) is not ours",
          result.returncode == 0 and "the baseline has it too" in result.stdout, result.stdout)
    result = judge(directory, WARNING_OF_KVM, WARNING_OF_KVM + ERROR_OF_OURS)
    check("beside one the baseline has, a new report still fails",
          result.returncode == 1 and "1 report(s) of the KVM modules" in result.stdout,
          result.stdout)
    again = ERROR_OF_OURS.replace("ff11000006c18000", "ff11000006c18008").replace("race_stress/54", "race_stress/61")
    result = judge(directory, "", ERROR_OF_OURS + again + ERROR_OF_OURS)
    check("a report met three times fails, printed whole once and then counted",
          result.returncode == 1 and result.stdout.count("# | ") == 4 and
          "# ours, 3 times in all (the first printed whole above): " in result.stdout and
          "3 report(s) of the KVM modules" in result.stdout, result.stdout)
    result = judge(directory, ERROR_OF_OURS, "")
    check("a clean log passes", result.returncode == 0, result.stdout)

print(f"{failures} failed")
sys.exit(1 if failures else 0)
