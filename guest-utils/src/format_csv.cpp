#include <fmt/format.h>

#include "kvm_exitstats/formats.hpp"
#include "kvm_exitstats/text_fields.hpp"

namespace kvm_exitstats {

using text::csv_field;

namespace {

// With histograms: the maximum, then bucket i's exits in column b<i>.
std::string latency_header()
{
    std::string header = ",max_cycles";
    for (unsigned i = 0; i < Histogram::buckets; ++i)
        header += fmt::format(",b{}", i);
    return header;
}

std::string latency_fields(const std::optional<Histogram>& latency)
{
    if (!latency)
        return std::string(Histogram::buckets + 1, ',');
    std::string fields = fmt::format(",{}", latency->max);
    for (std::uint64_t n : latency->count)
        fields += fmt::format(",{}", n);
    return fields;
}

}  // namespace

std::string format_csv(const Report& r)
{
    const bool latency = r.has_latency();
    std::string out = "reason,name,exits,share,cycles,avg_cycles" + (latency ? latency_header() : "") + "\n";
    auto row_line = [&](const std::string& reason, const std::string& name, const Counts& c,
                        const std::optional<Histogram>& h) {
        out += fmt::format("{},{},{},{:.6f},{},{:.1f}", reason, csv_field(name), c.exits,
                           share_of(c.exits, r.total.exits), c.cycles, average(c.cycles, c.exits));
        out += (latency ? latency_fields(h) : "") + "\n";
    };
    for (const ReasonRow& row : r.rows)
        row_line(std::to_string(row.reason), row.name, row.counts, row.latency);
    row_line("total", "all reasons", r.total, std::nullopt);
    return out;
}

}  // namespace kvm_exitstats
