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
  On the host (host, plot):
  6  not root: only root reads KVM's files in debugfs
  7  debugfs is not mounted on /sys/kernel/debug
  8  KVM is not loaded
  9  the loaded KVM is not kvm-exitstats' (stock modules)
 10  the statistics are off (kvm.exitstats=off)
 11  no such VM (or a name that several VMs have)
 12  the VM went away while it was read
 13  plot: gnuplot is not installed
  run passes the command's exit status through.)";

}  // namespace

int run_app(int argc, const char* const* argv, Environment& env)
{
    CLI::App app{"Shows the VM exits this virtual machine causes and the host CPU cycles "
                 "spent handling them, as counted by a KVM host with kvm-exitstats. "
                 "On the host, \"kvm-exitstats host\" shows them for every VM.",
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

    auto* host = app.add_subcommand(
        "host", "on the KVM host (as root): the running VMs, most host cycles per second first; "
                "with --vm, one VM's reasons");
    host->add_option("--vm", options.vm, "one VM: its PID, PID-FD (KVM's name) or QEMU -name");
    host->add_option("-w,--window", options.window, "seconds over which the rates are measured (0: none)")
        ->capture_default_str()
        ->check(CLI::NonNegativeNumber);
    host->add_option("--top", options.host_top, "reasons shown per VM")->capture_default_str();
    host->add_flag("--vcpus", options.vcpus,
                   "with --vm: the VM's vCPUs side by side, their exits, host cycles and top reasons "
                   "(modules 0.4.0 or later)")
        ->needs(host->get_option("--vm"));
    host->add_option("-o,--output", options.output,
                     "write to this file (atomically, e.g. for node_exporter's textfile collector)");
    host->fallthrough();
    host->require_subcommand(0, 1);

    auto* host_watch = host->add_subcommand("watch", "the VMs (or with --vm one VM's reasons) live, like top");
    host_watch->add_option("-i,--interval", options.interval, "seconds between refreshes")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    host_watch->add_option("-n,--count", options.count, "stop after this many refreshes (0: never)")
        ->capture_default_str();
    host_watch->fallthrough();

    auto* record = host->add_subcommand(
        "record", "sample one VM's counters into a CSV file until the VM ends or Ctrl-C; for plot");
    auto* record_vm = record->add_option("--vm", options.vm, "the VM: its PID, PID-FD or QEMU -name");
    auto* record_wait = record->add_option("--wait", options.wait_for_name,
                                           "wait for a new VM of this name and record it from its first exits");
    record_vm->excludes(record_wait);
    record->add_option("-o,--output", options.output, "the CSV file to write")->required();
    record->add_option("-i,--interval", options.record_interval, "seconds between samples")
        ->capture_default_str()
        ->check(CLI::Range(0.01, 3600.0));

    auto* plot = app.add_subcommand(
        "plot", "draw a recording (host record, watch --csv) with gnuplot: exits per second per reason "
                "and the running total");
    plot->add_option("recording", options.input, "the CSV file")->required()->check(CLI::ExistingFile);
    plot->add_option("-o,--output", options.output, "the picture: FILE.svg or FILE.png")->required();
    plot->add_option("--top", options.top,
                     "reasons drawn on their own (the others are \"other\"); with --latency, "
                     "the costliest reasons drawn")
        ->capture_default_str();
    plot->add_flag("--latency", options.latency,
                   "draw how long the exits took instead: for each of the reasons that cost the most host "
                   "time, a heat map of its exits' durations over time and the p99 of each interval "
                   "(recordings of modules that keep histograms, 0.4.0 on)");

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int code = app.exit(e, env.out, env.err);
        return code == 0 ? exit_ok : exit_usage;
    }

    if (*host_watch)
        return host_watch_command(options, env);
    if (*record) {
        options.interval = options.record_interval;
        return host_record_command(options, env);
    }
    if (*host)
        return host_command(options, env);
    if (*plot)
        return plot_command(options, env);
    if (*watch)
        return watch_command(options, env);
    if (*run)
        return run_command(options, env);
    return report_command(options, env);
}

}  // namespace kvm_exitstats::cli
