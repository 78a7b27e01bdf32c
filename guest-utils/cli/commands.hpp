// The three things kvm-exitstats does: report, watch and run.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "app.hpp"
#include "kvm_exitstats/reader.hpp"
#include "kvm_exitstats/report.hpp"

namespace kvm_exitstats::cli {

struct Options {
    bool json = false;
    bool csv = false;
    bool prometheus = false;
    bool show_zero_rows = false;
    std::string reason;
    double interval = 1.0;
    unsigned count = 0;
    unsigned top = 5;
    std::string output;
    std::vector<std::string> command;
    // The host's side.
    std::string vm;
    std::string wait_for_name;
    double window = 0.5;
    double record_interval = 0.1;
    unsigned host_top = 3;
    bool vcpus = false;
    std::string input;
    bool latency = false;
};

int report_command(const Options& options, Environment& env);
int watch_command(const Options& options, Environment& env);
int run_command(const Options& options, Environment& env);
int host_command(const Options& options, Environment& env);
int host_watch_command(const Options& options, Environment& env);
int host_record_command(const Options& options, Environment& env);
int plot_command(const Options& options, Environment& env);

// Runs a host command; a HostError or a file it cannot read ends it with
// its message and exit code.
int with_host_errors(Environment& env, const std::function<int()>& command);

// Checks that the interface is there; prints why not and returns the exit
// code if it is not, exit_ok if it is.
int require_interface(ExitStatsReader& reader, Environment& env);
int report_interface_gone(Environment& env);
std::string format_report(const Report& report, const Options& options);

}  // namespace kvm_exitstats::cli
