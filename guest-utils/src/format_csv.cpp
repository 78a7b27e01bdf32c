#include <fmt/format.h>

#include "kvm_exitstats/formats.hpp"

namespace kvm_exitstats {
namespace {

std::string csv_field(const std::string& text)
{
    if (text.find_first_of(",\"\n") == std::string::npos)
        return text;
    std::string quoted = "\"";
    for (char c : text) {
        if (c == '"')
            quoted += '"';
        quoted += c;
    }
    return quoted + '"';
}

}  // namespace

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
