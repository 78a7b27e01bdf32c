#include <ostream>

#include "commands.hpp"
#include "kvm_exitstats/formats.hpp"

namespace kvm_exitstats::cli {
namespace {

// The alternate screen keeps the terminal's content; leaving it restores it.
constexpr const char* enter_screen = "\x1b[?1049h\x1b[?25l";
constexpr const char* leave_screen = "\x1b[?25h\x1b[?1049l";
constexpr const char* redraw = "\x1b[H\x1b[J";

class ScreenGuard {
public:
    ScreenGuard(std::ostream& out, bool active) : out_(out), active_(active)
    {
        if (active_)
            out_ << enter_screen << std::flush;
    }
    ~ScreenGuard()
    {
        if (active_)
            out_ << leave_screen << std::flush;
    }
    ScreenGuard(const ScreenGuard&) = delete;
    ScreenGuard& operator=(const ScreenGuard&) = delete;

private:
    std::ostream& out_;
    bool active_;
};

}  // namespace

int watch_command(const Options& options, Environment& env)
{
    if (options.prometheus || options.csv) {
        env.err << "kvm-exitstats: watch shows rates; --json prints one JSON object per "
                   "interval, --csv and --prometheus are for the plain report\n";
        return exit_usage;
    }
    ExitStatsReader reader(env.cpuid);
    if (int code = require_interface(reader, env))
        return code;

    const bool live = env.out_is_terminal && !options.json;
    try {
        Snapshot previous = reader.snapshot();
        double previous_time = env.now_seconds();
        ScreenGuard screen(env.out, live);
        for (unsigned n = 0; options.count == 0 || n < options.count; ++n) {
            env.sleep_seconds(options.interval);
            if (env.interrupted())
                break;
            Snapshot current = reader.snapshot();
            const double now = env.now_seconds();
            const Report report =
                make_report(subtract(previous, current), now - previous_time);
            if (live)
                env.out << redraw << format_table(report, {options.show_zero_rows})
                        << "\n(refreshing every " << options.interval << " s; Ctrl-C quits)"
                        << std::flush;
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
