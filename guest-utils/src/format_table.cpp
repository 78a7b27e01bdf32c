#include <fmt/format.h>

#include "kvm_exitstats/formats.hpp"
#include "kvm_exitstats/text_fields.hpp"

namespace kvm_exitstats {
using text::grouped;
using text::short_duration;

namespace {

std::string scope_text(Scope scope)
{
    return scope == Scope::host ? "all VMs of the host" : "this VM";
}

std::string duration(const HostInfo& info, std::uint64_t cycles)
{
    auto seconds = cycles_to_seconds(info, cycles);
    return seconds ? fmt::format(" ({:.6f} s of host time)", *seconds) : std::string();
}

// p50, p90, p99 and max of one reason's exits, as host time where it is known.
std::string latency_cells(const ReasonRow& row, std::uint32_t tsc_khz)
{
    if (!row.latency || row.latency->empty())
        return fmt::format(" {:>9} {:>9} {:>9} {:>9}", "-", "-", "-", "-");
    std::string cells;
    for (double q : {0.5, 0.9, 0.99})
        cells += fmt::format(" {:>9}", short_duration(*quantile(*row.latency, q), tsc_khz));
    return cells + fmt::format(" {:>9}", short_duration(static_cast<double>(row.latency->max), tsc_khz));
}

}  // namespace

std::string format_table(const Report& r, const TableOptions& options)
{
    std::string out = fmt::format("VM exits of {} ({} host",
                                  r.subject.empty() ? scope_text(r.info.scope) : r.subject,
                                  numbering_description(r.info.numbering));
    if (r.info.tsc_khz)
        out += fmt::format(", TSC {:.3f} MHz", r.info.tsc_khz / 1000.0);
    out += ")\n";
    if (r.window_seconds)
        out += fmt::format("window: {:.3f} s", *r.window_seconds) +
               (r.own_exits ? fmt::format(", without this tool's own {} CPUID exits\n", r.own_exits)
                            : std::string("\n"));
    out += fmt::format("total: {} exits, {} cycles{}, {} cycles per exit\n\n",
                       grouped(r.total.exits), grouped(r.total.cycles),
                       duration(r.info, r.total.cycles),
                       grouped(static_cast<std::uint64_t>(average(r.total.cycles, r.total.exits))));

    const bool rates = r.window_seconds && *r.window_seconds > 0;
    std::string header = fmt::format("{:<34} {:>14} {:>7} {:>18} {:>12}", "reason", "exits",
                                     "share", "cycles", "avg cycles");
    if (rates)
        header += fmt::format(" {:>12} {:>16}", "exits/s", "cycles/s");
    const bool latency = r.has_latency();
    if (latency)
        header += fmt::format(" {:>9} {:>9} {:>9} {:>9}", "p50", "p90", "p99", "max");
    out += header + '\n';
    std::size_t hidden = 0;
    for (const ReasonRow& row : r.rows) {
        if (!row.counts.exits && !options.show_zero_rows) {
            ++hidden;
            continue;
        }
        out += fmt::format("{:<34} {:>14} {:>6.1f}% {:>18} {:>12}", reason_label(r.info.numbering, row.reason),
                           grouped(row.counts.exits),
                           100.0 * share_of(row.counts.exits, r.total.exits),
                           grouped(row.counts.cycles),
                           grouped(static_cast<std::uint64_t>(
                               average(row.counts.cycles, row.counts.exits))));
        if (rates)
            out += fmt::format(" {:>12.1f} {:>16.0f}", row.counts.exits / *r.window_seconds,
                               row.counts.cycles / *r.window_seconds);
        if (latency)
            out += latency_cells(row, r.info.tsc_khz);
        out += '\n';
    }
    if (hidden)
        out += fmt::format("({} reasons without exits not shown; --all shows them)\n", hidden);
    if (r.latency_unsupported)
        out += "(no percentiles: the host's kvm-exitstats modules are older than 0.4.0 and keep no latency "
               "histograms)\n";
    return out;
}

std::string format_rate_line(const Report& r, std::size_t top_reasons)
{
    const double seconds = r.window_seconds && *r.window_seconds > 0 ? *r.window_seconds : 1.0;
    std::string line = fmt::format("exits/s {:.1f} cycles/s {:.0f}", r.total.exits / seconds,
                                   r.total.cycles / seconds);
    std::size_t shown = 0;
    for (const ReasonRow& row : r.rows) {
        if (shown == top_reasons || !row.counts.exits)
            break;
        line += fmt::format(" {}={:.1f}", row.name, row.counts.exits / seconds);
        ++shown;
    }
    return line + '\n';
}

}  // namespace kvm_exitstats
