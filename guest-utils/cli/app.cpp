#include "app.hpp"

#include <CLI/CLI.hpp>
#include <memory>
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

// Each command declares every option it takes, so that its --help lists
// them all; an option of the same name binds the same field everywhere.
void add_output_format(CLI::App& command, Options& options, bool with_prometheus)
{
    command.add_flag("--json", options.json, "JSON output");
    command.add_flag("--csv", options.csv, "CSV output");
    if (with_prometheus)
        command.add_flag("--prometheus", options.prometheus,
                         "node_exporter textfile output (counters since kvm.ko was loaded)");
}

void add_interval_and_count(CLI::App& command, Options& options)
{
    command.add_option("-i,--interval", options.interval, "seconds between refreshes")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    command.add_option("-n,--count", options.count, "stop after this many refreshes (0: never)")
        ->capture_default_str();
}

void define_report(CLI::App& app, Options& options)
{
    app.footer(exit_codes_help);
    app.set_version_flag("--version", KVM_EXITSTATS_VERSION);
    add_output_format(app, options, true);
    app.add_flag("-a,--all", options.show_zero_rows, "also show reasons without exits");
    app.add_option("-r,--reason", options.reason,
                   "only this reason: a number (10, 0x72) or a name (CPUID, npf)");
}

void define_watch(CLI::App& watch, Options& options)
{
    add_interval_and_count(watch, options);
    watch.add_option("--top", options.top, "reasons per line when not on a terminal")
        ->capture_default_str();
    watch.add_flag("--json", options.json, "one JSON object per interval");
    watch.add_flag("--csv", options.csv,
                   "the counters at each interval, without this tool's own exits: a recording for plot");
    watch.add_flag("-a,--all", options.show_zero_rows, "on a terminal, also show reasons without exits");
}

void define_run(CLI::App& run, Options& options)
{
    run.add_option("-o,--output", options.output, "write the report to this file instead of stderr");
    run.add_flag("--json", options.json, "JSON report");
    run.add_flag("--csv", options.csv, "CSV report");
    run.add_flag("-a,--all", options.show_zero_rows, "also show reasons without exits");
    run.add_option("command", options.command, "the command and its arguments, after --")->required();
    run.positionals_at_end();
}

void define_host(CLI::App& host, Options& options)
{
    host.add_option("--vm", options.vm, "one VM: its PID, PID-FD (KVM's name) or QEMU -name");
    host.add_option("-w,--window", options.window, "seconds over which the rates are measured (0: none)")
        ->capture_default_str()
        ->check(CLI::NonNegativeNumber);
    host.add_option("--top", options.host_top, "reasons shown per VM")->capture_default_str();
    host.add_flag("--vcpus", options.vcpus,
                  "with --vm: the VM's vCPUs side by side, their exits, host cycles and top reasons "
                  "(modules 0.4.0 or later)")
        ->needs(host.get_option("--vm"));
    host.add_option("-o,--output", options.output,
                    "write to this file (atomically, e.g. for node_exporter's textfile collector)");
    add_output_format(host, options, true);
    host.require_subcommand(0, 1);
}

void define_host_watch(CLI::App& host_watch, Options& options)
{
    host_watch.add_option("--vm", options.vm, "one VM's reasons: its PID, PID-FD or QEMU -name");
    add_interval_and_count(host_watch, options);
    host_watch.add_option("--top", options.host_top, "reasons shown per VM")->capture_default_str();
    host_watch.add_flag("-a,--all", options.show_zero_rows, "with --vm, also show reasons without exits");
    host_watch.add_flag("--json", options.json, "one JSON object per interval");
}

void define_host_record(CLI::App& record, Options& options)
{
    auto* record_vm = record.add_option("--vm", options.vm, "the VM: its PID, PID-FD or QEMU -name");
    auto* record_wait = record.add_option("--wait", options.wait_for_name,
                                          "wait for a new VM of this name and record it from its first exits");
    record_vm->excludes(record_wait);
    record.add_option("-o,--output", options.output, "the CSV file to write")->required();
    record.add_option("-i,--interval", options.record_interval, "seconds between samples")
        ->capture_default_str()
        ->check(CLI::Range(0.01, 3600.0));
}

void define_plot(CLI::App& plot, Options& options)
{
    plot.add_option("recording", options.input, "the CSV file")->required()->check(CLI::ExistingFile);
    plot.add_option("-o,--output", options.output, "the picture: FILE.svg or FILE.png")->required();
    plot.add_option("--top", options.top,
                    "reasons drawn on their own (the others are \"other\"); with --latency, "
                    "the costliest reasons drawn")
        ->capture_default_str();
    plot.add_flag("--latency", options.latency,
                  "draw how long the exits took instead: for each of the reasons that cost the most host "
                  "time, a heat map of its exits' durations over time and the p99 of each interval "
                  "(recordings of modules that keep histograms, 0.4.0 on)");
}

struct CommandLine {
    std::unique_ptr<CLI::App> app;
    CLI::App* watch;
    CLI::App* run;
    CLI::App* host;
    CLI::App* host_watch;
    CLI::App* record;
    CLI::App* plot;
};

CommandLine define_command_line(Options& options)
{
    CommandLine line;
    line.app = std::make_unique<CLI::App>(
        "Shows the VM exits this virtual machine causes and the host CPU cycles spent handling "
        "them, as counted by a KVM host with kvm-exitstats. On the host, \"kvm-exitstats host\" "
        "shows them for every VM.",
        "kvm-exitstats");
    define_report(*line.app, options);
    line.watch = line.app->add_subcommand("watch", "live rates per reason until Ctrl-C");
    define_watch(*line.watch, options);
    line.run = line.app->add_subcommand("run", "run a command and show the exits during it, like perf stat");
    define_run(*line.run, options);
    line.host = line.app->add_subcommand(
        "host", "on the KVM host (as root): the running VMs, most host cycles per second first; "
                "with --vm, one VM's reasons");
    define_host(*line.host, options);
    line.host_watch =
        line.host->add_subcommand("watch", "the VMs (or with --vm one VM's reasons) live, like top");
    define_host_watch(*line.host_watch, options);
    line.record = line.host->add_subcommand(
        "record", "sample one VM's counters into a CSV file until the VM ends or Ctrl-C; for plot");
    define_host_record(*line.record, options);
    line.plot = line.app->add_subcommand(
        "plot", "draw a recording (host record, watch --csv) with gnuplot: exits per second per reason "
                "and the running total");
    define_plot(*line.plot, options);
    return line;
}

CLI::App* chosen_command(CLI::App* app)
{
    for (CLI::App* sub : app->get_subcommands())
        return chosen_command(sub);
    return app;
}

// An option given before a subcommand's name (`--json run -- make`) is
// taken where the subcommand has it too; elsewhere it is a usage error, as
// after the name.
std::string misplaced_option(CLI::App* chosen)
{
    for (const CLI::App* level = chosen->get_parent(); level; level = level->get_parent())
        for (const CLI::Option* option : level->get_options())
            if (option->count() > 0 && !chosen->get_option_no_throw(option->get_name()))
                return option->get_name();
    return {};
}

std::string command_path(const CLI::App* command)
{
    std::string path;
    for (; command->get_parent(); command = command->get_parent())
        path = command->get_name() + (path.empty() ? "" : " " + path);
    return path;
}

}  // namespace

std::vector<CommandDefinition> command_line_definitions()
{
    Options options;
    const CommandLine line = define_command_line(options);
    std::vector<CommandDefinition> definitions;
    std::vector<const CLI::App*> pending{line.app.get()};
    while (!pending.empty()) {
        const CLI::App* command = pending.front();
        pending.erase(pending.begin());
        CommandDefinition definition{command_path(command), {}, {}};
        for (const CLI::Option* option : command->get_options()) {
            if (!option->nonpositional())
                continue;
            OptionDefinition names;
            for (const auto& name : option->get_snames())
                names.names.push_back("-" + name);
            for (const auto& name : option->get_lnames())
                names.names.push_back("--" + name);
            names.takes_value = option->get_expected_max() != 0;
            definition.options.push_back(names);
        }
        for (const CLI::App* sub : command->get_subcommands({})) {
            definition.subcommands.push_back(sub->get_name());
            pending.push_back(sub);
        }
        definitions.push_back(definition);
    }
    return definitions;
}

int run_app(int argc, const char* const* argv, Environment& env)
{
    Options options;
    const CommandLine line = define_command_line(options);
    try {
        line.app->parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int code = line.app->exit(e, env.out, env.err);
        return code == 0 ? exit_ok : exit_usage;
    }

    CLI::App* chosen = chosen_command(line.app.get());
    const std::string misplaced = misplaced_option(chosen);
    if (!misplaced.empty()) {
        env.err << "kvm-exitstats: " << command_path(chosen) << " does not take " << misplaced
                << " (kvm-exitstats " << command_path(chosen) << " --help lists what it takes)\n";
        return exit_usage;
    }
    if (int{options.json} + int{options.csv} + int{options.prometheus} > 1) {
        env.err << "kvm-exitstats: give one of --json, --csv and --prometheus\n";
        return exit_usage;
    }

    if (chosen == line.host_watch)
        return host_watch_command(options, env);
    if (chosen == line.record) {
        options.interval = options.record_interval;
        return host_record_command(options, env);
    }
    if (chosen == line.host)
        return host_command(options, env);
    if (chosen == line.plot)
        return plot_command(options, env);
    if (chosen == line.watch)
        return watch_command(options, env);
    if (chosen == line.run)
        return run_command(options, env);
    return report_command(options, env);
}

}  // namespace kvm_exitstats::cli
