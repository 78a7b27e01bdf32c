#include <ostream>

#include "commands.hpp"
#include "kvm_exitstats/formats.hpp"

namespace kvm_exitstats::cli {

int require_interface(ExitStatsReader& reader, Environment& env)
{
    switch (reader.probe()) {
    case Availability::not_a_guest:
        env.err << "kvm-exitstats: not running under a hypervisor (CPUID.1:ECX bit 31 is clear): "
                   "there are no VM exits to count\n";
        return exit_not_a_guest;
    case Availability::no_interface:
        env.err << "kvm-exitstats: the hypervisor does not offer the kvm-exitstats interface "
                   "(CPUID 0x4FFFFFF0 has no \"KVMExitStats\" signature).\n"
                   "On the KVM host, install the kvm-exitstats-dkms package, load its modules, "
                   "and check that /sys/module/kvm/parameters/exitstats is not \"off\".\n";
        return exit_no_interface;
    case Availability::available:
        break;
    }
    return exit_ok;
}

int report_interface_gone(Environment& env)
{
    env.err << "kvm-exitstats: the host switched the statistics off while they were read "
               "(kvm.exitstats=off)\n";
    return exit_interface_gone;
}

std::string format_report(const Report& report, const Options& options)
{
    if (options.json)
        return format_json(report);
    if (options.csv)
        return format_csv(report);
    if (options.prometheus)
        return format_prometheus(report);
    return format_table(report, {options.show_zero_rows});
}

namespace {

int report_one_reason(ExitStatsReader& reader, const Options& options, Environment& env)
{
    const HostInfo info = reader.info();
    const auto reason = parse_reason(info.numbering, options.reason);
    if (!reason) {
        env.err << "kvm-exitstats: \"" << options.reason << "\" is not a reason number or a "
                << numbering_description(info.numbering) << " exit reason name\n";
        return exit_usage;
    }
    const ReasonReading reading = reader.reason(*reason);
    if (!reading.defined) {
        env.err << "kvm-exitstats: " << reason_name(info.numbering, *reason)
                << " is not a defined exit reason on this " << numbering_description(info.numbering)
                << " host (reasons go up to " << info.max_reason << ")\n";
        return exit_error;
    }
    Report report;
    report.info = info;
    report.total = reader.totals();
    report.rows.push_back({*reason, reason_name(info.numbering, *reason), reading.counts, std::nullopt});
    Options shown = options;
    shown.show_zero_rows = true;
    env.out << format_report(report, shown);
    return exit_ok;
}

}  // namespace

int report_command(const Options& options, Environment& env)
{
    ExitStatsReader reader(env.cpuid);
    if (int code = require_interface(reader, env))
        return code;
    try {
        if (!options.reason.empty())
            return report_one_reason(reader, options, env);
        env.out << format_report(make_report(reader.snapshot()), options);
    } catch (const InterfaceGone&) {
        return report_interface_gone(env);
    }
    return exit_ok;
}

}  // namespace kvm_exitstats::cli
