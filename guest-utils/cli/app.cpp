#include "app.hpp"

#include <CLI/CLI.hpp>
#include <ostream>

#include "commands.hpp"

namespace kvm_exitstats::cli {
namespace {

const char* const exit_codes_help = R"(Exit status:
  0  success
  1  an error, such as an undefined reason
  2  wrong usage
  3  not running under a hypervisor
  4  the hypervisor does not offer the interface: kvm-exitstats-dkms is not
     installed on the host, or its statistics are off (kvm.exitstats=off)
  5  the host switched the statistics off while they were read
  run passes the command's exit status through.)";

}  // namespace

int run_app(int argc, const char* const* argv, Environment& env)
{
    CLI::App app{"Shows the VM exits this virtual machine causes and the host CPU cycles "
                 "spent handling them, as counted by a KVM host with kvm-exitstats.",
                 "kvm-exitstats"};
    app.footer(exit_codes_help);
    app.set_version_flag("--version", KVM_EXITSTATS_VERSION);

    Options options;
    auto* json = app.add_flag("--json", options.json, "JSON output");
    auto* csv = app.add_flag("--csv", options.csv, "CSV output");
    auto* prometheus = app.add_flag("--prometheus", options.prometheus,
                                    "node_exporter textfile output (counters since kvm.ko was loaded)");
    json->excludes(csv)->excludes(prometheus);
    csv->excludes(prometheus);
    app.add_flag("-a,--all", options.show_zero_rows, "also show reasons without exits");
    app.add_option("-r,--reason", options.reason,
                   "only this reason: a number (10, 0x72) or a name (CPUID, npf)");
    app.fallthrough();

    auto* watch = app.add_subcommand("watch", "live rates per reason until Ctrl-C");
    watch->add_option("-i,--interval", options.interval, "seconds between refreshes")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    watch->add_option("-n,--count", options.count, "stop after this many refreshes (0: never)")
        ->capture_default_str();
    watch->add_option("--top", options.top, "reasons per line when not on a terminal")
        ->capture_default_str();

    auto* run = app.add_subcommand("run", "run a command and show the exits during it, like perf stat");
    run->add_option("-o,--output", options.output, "write the report to this file instead of stderr");
    run->add_option("command", options.command, "the command and its arguments, after --")
        ->required();
    run->positionals_at_end();

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int code = app.exit(e, env.out, env.err);
        return code == 0 ? exit_ok : exit_usage;
    }

    if (*watch)
        return watch_command(options, env);
    if (*run)
        return run_command(options, env);
    return report_command(options, env);
}

}  // namespace kvm_exitstats::cli
