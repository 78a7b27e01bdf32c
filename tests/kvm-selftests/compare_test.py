#!/usr/bin/env python3
"""The rules of compare.py, on small serial logs written here."""
import os
import subprocess
import sys
import tempfile
import unittest

COMPARE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "compare.py")


class CompareTest(unittest.TestCase):
    def setUp(self):
        self.directory = tempfile.TemporaryDirectory()

    def tearDown(self):
        self.directory.cleanup()

    def log(self, name, *lines):
        path = os.path.join(self.directory.name, name)
        with open(path, "w") as log:
            log.write("\n".join(lines) + "\n")
        return path

    def compare(self, *arguments):
        done = subprocess.run([sys.executable, COMPARE, *arguments], capture_output=True, text=True)
        return done.returncode, done.stdout.splitlines()

    def passes(self, vm_result="pass", host_result="pass", stock_result="pass", extra_vm=()):
        return [self.log("stock", f"KES-RESULT stock a_test {stock_result} 1.0", "KES-RESULT stock b_test skip 0.1"),
                self.log("vm", f"KES-RESULT vm a_test {vm_result} 1.0", "KES-RESULT vm b_test skip 0.1", *extra_vm),
                self.log("host", f"KES-RESULT host a_test {host_result} 1.0", "KES-RESULT host b_test skip 0.1")]

    def retry(self, vm_result):
        return [self.log("retry-stock", "KES-RESULT stock a_test pass 1.0"),
                self.log("retry-vm", f"KES-RESULT vm a_test {vm_result} 1.0"),
                self.log("retry-host", "KES-RESULT host a_test pass 1.0")]

    def test_same_results_pass(self):
        status, lines = self.compare(*self.passes())
        self.assertEqual(status, 0)
        self.assertEqual(lines[-1], "2 passed, 0 failed")
        self.assertIn("# ours exitstats=host    1 pass, 1 skip", lines)

    def test_passing_on_stock_only_is_a_regression(self):
        status, lines = self.compare(*self.passes(host_result="timeout"))
        self.assertEqual(status, 1)
        self.assertEqual(lines[-1], "1 passed, 1 failed")
        self.assertIn("    timeout under exitstats=host", lines)
        self.assertIn("# regressions: a_test", lines)

    def test_failing_on_stock_too_is_not(self):
        status, lines = self.compare(*self.passes(stock_result="fail", vm_result="fail", host_result="timeout"))
        self.assertEqual(status, 0)
        self.assertEqual(lines[-1], "2 passed, 0 failed")

    def test_host_lost_with_ours_is_a_regression_even_where_stock_fails(self):
        for lost in ("crash", "hang"):
            status, lines = self.compare(*self.passes(stock_result="fail", vm_result=lost))
            self.assertEqual(status, 1, lost)
            self.assertEqual(lines[-1], "1 passed, 1 failed", lost)
            self.assertIn(f"    {lost} under exitstats=vm", lines)

    def test_host_lost_on_stock_too_is_not(self):
        status, lines = self.compare(*self.passes(stock_result="hang", vm_result="crash", host_result="fail"))
        self.assertEqual(status, 0)
        self.assertEqual(lines[-1], "2 passed, 0 failed")

    def test_kernel_log_with_ours_only_is_a_regression(self):
        warning = "KES-DMESG vm b_test: [ 1.0] WARNING: CPU: 0 PID: 1 at arch/x86/kvm/x86.c:1"
        status, lines = self.compare(*self.passes(extra_vm=(warning,)))
        self.assertEqual(status, 1)
        self.assertIn("    kernel log under exitstats=vm, not on stock:", lines)

    def test_a_debug_kernel_s_reports_are_judged_apart(self):
        report = "KES-DMESG vm b_test: [ 1.0] BUG: KCSAN: data-race in kthread_is_per_cpu / kvm_arch_vcpu_ioctl_run [kvm]"
        status, lines = self.compare("--reports-judged-apart", *self.passes(extra_vm=(report,)))
        self.assertEqual(status, 0)
        self.assertEqual(lines[-1], "2 passed, 0 failed")
        status, lines = self.compare("--reports-judged-apart", *self.passes(vm_result="fail"))
        self.assertEqual(status, 1, "results are still compared")

    def test_retry_does_not_forgive_a_kernel_log(self):
        warning = "KES-DMESG vm a_test: [ 1.0] WARNING: CPU: 0 PID: 1 at arch/x86/kvm/x86.c:1"
        status, lines = self.compare(*self.passes(extra_vm=(warning,)), "--retry", *self.retry("pass"))
        self.assertEqual(status, 1)
        self.assertEqual(lines[-1], "1 passed, 1 failed")

    def test_a_missing_log_is_an_error_not_a_traceback(self):
        status, lines = self.compare(os.path.join(self.directory.name, "absent"))
        self.assertEqual((status, lines), (2, []))

    def test_list_regressions_names_them(self):
        status, lines = self.compare("--list-regressions", *self.passes(vm_result="fail"))
        self.assertEqual((status, lines), (0, ["a_test"]))

    def test_retry_that_passes_is_reported_not_counted(self):
        status, lines = self.compare(*self.passes(vm_result="timeout"), "--retry", *self.retry("pass"))
        self.assertEqual(status, 0)
        self.assertEqual(lines[-1], "2 passed, 0 failed")
        self.assertTrue(any(line.startswith("# flaky in the emulator: a_test: timeout under exitstats=vm")
                            for line in lines))

    def test_retry_that_regresses_again_counts(self):
        status, lines = self.compare(*self.passes(vm_result="fail"), "--retry", *self.retry("fail"))
        self.assertEqual(status, 1)
        self.assertEqual(lines[-1], "1 passed, 1 failed")

    def limited(self, seconds):
        logs = [self.log(scope, f"KES-RESULT {scope} slow_test timeout {seconds}") for scope in ("stock", "vm", "host")]
        return ["--limits", self.log("limits", "slow_test 10"), *logs]

    def test_a_test_stopped_at_its_own_limit_is_compared_as_usual(self):
        status, lines = self.compare(*self.limited("11.1"))
        self.assertEqual(status, 0)
        self.assertEqual(lines[-1], "1 passed, 0 failed")

    def test_a_test_that_ran_past_its_own_limit_fails_everywhere(self):
        status, lines = self.compare(*self.limited("30.2"))
        self.assertEqual(status, 1)
        self.assertEqual(lines[-1], "0 passed, 1 failed")
        self.assertIn("    ran 30.2 s under host, past its own 10 s limit: the runner did not apply it", lines)
        self.assertTrue(lines[1].endswith("LIMIT NOT APPLIED"), lines[1])

    def test_unreadable_limits_are_an_error(self):
        status, _ = self.compare("--limits", self.log("limits", "slow_test ten"), *self.passes())
        self.assertEqual(status, 2)

    def tries(self, *vm_results):
        """Retry logs with three tries each: stock and host pass, vm as given."""
        return [self.log("retry-stock", *["KES-RESULT stock a_test pass 1.0"] * 3),
                self.log("retry-vm", *[f"KES-RESULT vm a_test {result} 1.0" for result in vm_results]),
                self.log("retry-host", *["KES-RESULT host a_test pass 1.0"] * 3)]

    def test_the_best_of_a_retry_s_tries_counts(self):
        status, lines = self.compare(*self.passes(vm_result="fail"), "--retry", *self.tries("fail", "pass", "fail"))
        self.assertEqual(status, 0)
        self.assertEqual(lines[-1], "2 passed, 0 failed")

    def test_tries_that_all_fail_still_regress(self):
        status, lines = self.compare(*self.passes(vm_result="fail"), "--retry", *self.tries("fail", "fail", "fail"))
        self.assertEqual(status, 1)
        self.assertEqual(lines[-1], "1 passed, 1 failed")

    def test_a_host_lost_in_any_try_counts(self):
        status, lines = self.compare(*self.passes(vm_result="fail"), "--retry", *self.tries("pass", "crash", "pass"))
        self.assertEqual(status, 1)
        self.assertEqual(lines[-1], "1 passed, 1 failed")


if __name__ == "__main__":
    unittest.main()
