// The environment of the command as a process: stdout and stderr, the
// monotonic clock, SIGINT, and child processes.
#pragma once

#include "app.hpp"

namespace kvm_exitstats::cli {

Environment process_environment(CpuidSource& cpuid);

// fork, exec (PATH search), wait; 127 if not found, 126 if not executable,
// 128 + signal if the child was killed.
int run_child(const std::vector<std::string>& command, std::ostream& err);

}  // namespace kvm_exitstats::cli
