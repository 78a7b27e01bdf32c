#include "costliest_reasons.hpp"

#include <algorithm>
#include <fmt/format.h>

#include "kvm_exitstats/reason_names.hpp"
#include "kvm_exitstats/report.hpp"

namespace kvm_exitstats {

std::vector<std::pair<std::uint32_t, Counts>> by_cycles(const std::map<std::uint32_t, Counts>& reasons)
{
    std::vector<std::pair<std::uint32_t, Counts>> sorted(reasons.begin(), reasons.end());
    std::stable_sort(sorted.begin(), sorted.end(),
                     [](const auto& a, const auto& b) { return a.second.cycles > b.second.cycles; });
    return sorted;
}

std::string costliest_reasons_text(Numbering numbering, const std::map<std::uint32_t, Counts>& reasons,
                                   std::uint64_t all_cycles, std::size_t top,
                                   const std::function<std::string(std::uint32_t)>& after_reason)
{
    const auto sorted = by_cycles(reasons);
    std::string out;
    for (std::size_t i = 0; i < sorted.size() && i < top; ++i)
        out += fmt::format("{}{} {:.0f}%{}", i ? ", " : "", reason_name(numbering, sorted[i].first),
                           100.0 * share_of(sorted[i].second.cycles, all_cycles),
                           after_reason ? after_reason(sorted[i].first) : "");
    return out.empty() ? "-" : out;
}

}  // namespace kvm_exitstats
