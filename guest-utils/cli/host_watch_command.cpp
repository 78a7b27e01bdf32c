#include <algorithm>
#include <fmt/format.h>
#include <ostream>

#include "commands.hpp"
#include "kvm_exitstats/delta.hpp"
#include "kvm_exitstats/formats.hpp"
#include "kvm_exitstats/host_view.hpp"
#include "live_screen.hpp"

namespace kvm_exitstats::cli {
namespace {

std::vector<VmSample> sample(const Options& options, Environment& env, const std::vector<VmId>& chosen)
{
    if (options.vm.empty())
        return sample_vms(env.host_paths, list_vms(env.host_paths));
    return {{chosen.front(), read_vm(env.host_paths, chosen.front())}};
}

// One VM's reasons over the window, in the layout of the guest's watch.
Report window_report(const VmRow& row, double seconds)
{
    Report report = make_report(row.now.file);
    report.subject = fmt::format("VM {}, pid {}", row.now.id.label(), row.now.id.pid);
    report.total = row.window.value_or(Counts{});
    for (ReasonRow& reason : report.rows) {
        const auto it = row.window_reasons.find(reason.reason);
        reason.counts = it == row.window_reasons.end() ? Counts{} : it->second;
    }
    std::stable_sort(report.rows.begin(), report.rows.end(), [](const ReasonRow& a, const ReasonRow& b) {
        return a.counts.exits > b.counts.exits;
    });
    report.window_seconds = seconds;
    return report;
}

}  // namespace

int host_watch_command(const Options& options, Environment& env)
{
    return with_host_errors(env, [&] {
        check_host(env.host_paths, env.running_as_root());
        std::vector<VmId> chosen;
        if (!options.vm.empty())
            chosen.push_back(find_vm(list_vms(env.host_paths), options.vm));
        const bool live = env.out_is_terminal && !options.json;
        std::vector<VmSample> previous = sample(options, env, chosen);
        double previous_time = env.now_seconds();
        const double start = previous_time;
        LiveScreen screen(env.out, live);
        for (unsigned n = 0; options.count == 0 || n < options.count; ++n) {
            env.sleep_seconds(options.interval);
            if (env.interrupted())
                break;
            std::vector<VmSample> current = sample(options, env, chosen);
            const double now = env.now_seconds();
            const HostView view = make_host_view(previous, current, now - previous_time);
            if (live) {
                const std::string shown = options.vm.empty()
                                              ? format_host_table(view, options.host_top)
                                              : format_table(window_report(view.rows.front(), view.window_seconds),
                                                             {options.show_zero_rows});
                env.out << redraw_screen << shown << "\n(refreshing every " << options.interval
                        << " s; Ctrl-C quits)" << std::flush;
            } else if (options.json) {
                env.out << format_host_json(view, true) << std::flush;
            } else {
                env.out << format_host_line(view, now - start) << std::flush;
            }
            previous = std::move(current);
            previous_time = now;
        }
        return static_cast<int>(exit_ok);
    });
}

}  // namespace kvm_exitstats::cli
