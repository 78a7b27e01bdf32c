#include <fmt/format.h>

#include "kvm_exitstats/formats.hpp"
#include "kvm_exitstats/text_fields.hpp"

namespace kvm_exitstats {

using text::csv_field;

std::string format_csv(const Report& r)
{
    std::string out = "reason,name,exits,share,cycles,avg_cycles\n";
    auto row_line = [&](const std::string& reason, const std::string& name, const Counts& c) {
        out += fmt::format("{},{},{},{:.6f},{},{:.1f}\n", reason, csv_field(name), c.exits,
                           share_of(c.exits, r.total.exits), c.cycles,
                           average(c.cycles, c.exits));
    };
    for (const ReasonRow& row : r.rows)
        row_line(std::to_string(row.reason), row.name, row.counts);
    row_line("total", "all reasons", r.total);
    return out;
}

}  // namespace kvm_exitstats
