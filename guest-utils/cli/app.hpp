// The kvm-exitstats command, independent of where CPUID, time and child
// processes come from, so tests can run it against a model hypervisor.
#pragma once

#include <functional>
#include <iosfwd>
#include <string>
#include <vector>

#include "kvm_exitstats/cpuid.hpp"
#include "kvm_exitstats/host_vms.hpp"

namespace kvm_exitstats::cli {

// Exit codes besides those of `run`, which passes the command's through.
enum ExitCode : int {
    exit_ok = 0,
    exit_error = 1,
    exit_usage = 2,
    exit_not_a_guest = 3,
    exit_no_interface = 4,
    exit_interface_gone = 5,
    // The host's side (`host`, `plot`).
    exit_not_root = 6,
    exit_no_debugfs = 7,
    exit_kvm_not_loaded = 8,
    exit_stock_kvm = 9,
    exit_statistics_off = 10,
    exit_no_such_vm = 11,
    exit_vm_gone = 12,
    exit_no_plotting_tool = 13,
};

struct Environment {
    CpuidSource& cpuid;
    std::ostream& out;
    std::ostream& err;
    bool out_is_terminal = false;
    std::function<double()> now_seconds;
    // Sleeps up to the given time; returns early when interrupted.
    std::function<void(double)> sleep_seconds;
    std::function<bool()> interrupted;
    // Runs a command and returns its exit status as a shell reports it.
    std::function<int(const std::vector<std::string>&)> run_command;
    // The host's side: where its files are, and whether we may read debugfs.
    HostPaths host_paths{};
    std::function<bool()> running_as_root = [] { return false; };
};

int run_app(int argc, const char* const* argv, Environment& env);

// The command line as run_app defines it, for the tests that hold --help,
// the man page and the completion to it.
struct OptionDefinition {
    std::vector<std::string> names;  // "-i", "--interval"
    bool takes_value = false;
};
struct CommandDefinition {
    std::string path;  // "" for the report, "host watch"
    std::vector<OptionDefinition> options;
    std::vector<std::string> subcommands;
};
std::vector<CommandDefinition> command_line_definitions();

}  // namespace kvm_exitstats::cli
