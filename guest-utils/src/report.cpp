#include "kvm_exitstats/report.hpp"

#include <algorithm>

#include "kvm_exitstats/interface.hpp"

namespace kvm_exitstats {
namespace {

std::vector<ReasonRow> rows_of(Numbering numbering, const std::map<std::uint32_t, Counts>& reasons,
                               const std::map<std::uint32_t, Histogram>& histograms)
{
    std::vector<ReasonRow> rows;
    rows.reserve(reasons.size());
    for (const auto& [reason, counts] : reasons) {
        rows.push_back({reason, reason_name(numbering, reason), counts, std::nullopt});
        if (const auto found = histograms.find(reason); found != histograms.end())
            rows.back().latency = found->second;
    }
    std::stable_sort(rows.begin(), rows.end(), [](const ReasonRow& a, const ReasonRow& b) {
        return a.counts.exits > b.counts.exits;
    });
    return rows;
}

}  // namespace

Report make_report(const Snapshot& snapshot)
{
    Report r;
    r.info = snapshot.info;
    r.total = snapshot.total;
    r.rows = rows_of(snapshot.info.numbering, snapshot.reasons, snapshot.histograms);
    r.latency_unsupported = snapshot.info.version < leaf::histogram_version;
    return r;
}

Report make_report(const Delta& delta, double window_seconds)
{
    Report r;
    r.info = delta.info;
    r.total = delta.total;
    r.rows = rows_of(delta.info.numbering, delta.reasons, delta.histograms);
    r.latency_unsupported = delta.info.version < leaf::histogram_version;
    r.window_seconds = window_seconds;
    r.own_exits = delta.own_exits;
    return r;
}

bool Report::has_latency() const
{
    return std::any_of(rows.begin(), rows.end(), [](const ReasonRow& row) { return row.latency.has_value(); });
}

std::optional<double> cycles_to_seconds(const HostInfo& info, std::uint64_t cycles)
{
    if (!info.tsc_khz)
        return std::nullopt;
    return static_cast<double>(cycles) / (static_cast<double>(info.tsc_khz) * 1000.0);
}

double share_of(std::uint64_t part, std::uint64_t whole)
{
    return whole ? static_cast<double>(part) / static_cast<double>(whole) : 0.0;
}

double average(std::uint64_t cycles, std::uint64_t exits)
{
    return exits ? static_cast<double>(cycles) / static_cast<double>(exits) : 0.0;
}

}  // namespace kvm_exitstats
