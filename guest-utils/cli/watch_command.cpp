#include <ostream>

#include "commands.hpp"
#include "live_screen.hpp"
#include "kvm_exitstats/formats.hpp"
#include "kvm_exitstats/recording.hpp"

namespace kvm_exitstats::cli {
namespace {

// The guest's recording for `plot`, like `host record`'s: the counters at
// the start, then growing by each window's delta, all without this tool's
// own CPUID exits.
class GuestRecording {
public:
    explicit GuestRecording(const Snapshot& first)
    {
        meta_.numbering = first.info.numbering;
        meta_.tsc_khz = first.info.tsc_khz;
        Snapshot nothing;
        nothing.info = first.info;
        add(subtract(nothing, first), 0);
    }

    std::string rows() const { return recording_csv_rows(meta_, sample_); }

    void add(const Delta& delta, double time)
    {
        sample_.time = time;
        sample_.total += delta.total;
        for (const auto& [reason, counts] : delta.reasons)
            sample_.reasons[reason] += counts;
    }

private:
    Recording meta_;
    RecordedSample sample_;
};

}  // namespace

int watch_command(const Options& options, Environment& env)
{
    ExitStatsReader reader(env.cpuid);
    if (int code = require_interface(reader, env))
        return code;

    const bool live = env.out_is_terminal && !options.json && !options.csv;
    try {
        Snapshot previous = reader.snapshot();
        double previous_time = env.now_seconds();
        const double start = previous_time;
        GuestRecording recording(previous);
        if (options.csv)
            env.out << recording_csv_header() << recording.rows() << std::flush;
        LiveScreen screen(env.out, live);
        for (unsigned n = 0; options.count == 0 || n < options.count; ++n) {
            env.sleep_seconds(options.interval);
            if (env.interrupted())
                break;
            Snapshot current = reader.snapshot();
            const double now = env.now_seconds();
            const Delta delta = subtract(previous, current);
            const Report report = make_report(delta, now - previous_time);
            if (live) {
                env.out << redraw_screen << format_table(report, {options.show_zero_rows})
                        << "\n(refreshing every " << options.interval << " s; Ctrl-C quits)"
                        << std::flush;
            } else if (options.csv) {
                recording.add(delta, now - start);
                env.out << recording.rows() << std::flush;
            } else if (options.json) {
                env.out << format_json_line(report) << std::flush;
            } else {
                env.out << format_rate_line(report, options.top) << std::flush;
            }
            previous = std::move(current);
            previous_time = now;
        }
    } catch (const InterfaceGone&) {
        return report_interface_gone(env);
    }
    return exit_ok;
}

}  // namespace kvm_exitstats::cli
