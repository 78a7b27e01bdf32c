#include <ostream>

#include "commands.hpp"
#include "live_screen.hpp"
#include "kvm_exitstats/formats.hpp"
#include "kvm_exitstats/recording.hpp"

namespace kvm_exitstats::cli {
namespace {

// The counters as they are, for `plot`: a recording like `host record`'s.
std::string recording_rows(const Snapshot& snapshot, double time)
{
    Recording meta;
    meta.numbering = snapshot.info.numbering;
    meta.tsc_khz = snapshot.info.tsc_khz;
    return recording_csv_rows(meta, {time, snapshot.total, snapshot.reasons});
}

}  // namespace

int watch_command(const Options& options, Environment& env)
{
    if (options.prometheus) {
        env.err << "kvm-exitstats: watch shows rates; --json prints one JSON object per "
                   "interval, --csv the counters at each interval (for plot), and "
                   "--prometheus is for the plain report\n";
        return exit_usage;
    }
    ExitStatsReader reader(env.cpuid);
    if (int code = require_interface(reader, env))
        return code;

    const bool live = env.out_is_terminal && !options.json && !options.csv;
    try {
        Snapshot previous = reader.snapshot();
        double previous_time = env.now_seconds();
        const double start = previous_time;
        if (options.csv)
            env.out << recording_csv_header() << recording_rows(previous, 0) << std::flush;
        LiveScreen screen(env.out, live);
        for (unsigned n = 0; options.count == 0 || n < options.count; ++n) {
            env.sleep_seconds(options.interval);
            if (env.interrupted())
                break;
            Snapshot current = reader.snapshot();
            const double now = env.now_seconds();
            const Report report =
                make_report(subtract(previous, current), now - previous_time);
            if (live)
                env.out << redraw_screen << format_table(report, {options.show_zero_rows})
                        << "\n(refreshing every " << options.interval << " s; Ctrl-C quits)"
                        << std::flush;
            else if (options.csv)
                env.out << recording_rows(current, now - start) << std::flush;
            else if (options.json)
                env.out << format_json_line(report) << std::flush;
            else
                env.out << format_rate_line(report, options.top) << std::flush;
            previous = std::move(current);
            previous_time = now;
        }
    } catch (const InterfaceGone&) {
        return report_interface_gone(env);
    }
    return exit_ok;
}

}  // namespace kvm_exitstats::cli
