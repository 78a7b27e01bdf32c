#include "kvm_exitstats/delta.hpp"

#include <algorithm>

namespace kvm_exitstats {
namespace {

std::uint64_t minus(std::uint64_t a, std::uint64_t b)
{
    return a > b ? a - b : 0;
}

Counts minus(const Counts& a, const Counts& b)
{
    return {minus(a.exits, b.exits), minus(a.cycles, b.cycles)};
}

std::uint64_t read_at(const Snapshot& s, std::uint32_t reason)
{
    auto it = s.reason_read_at.find(reason);
    return it == s.reason_read_at.end() ? 0 : it->second;
}

}  // namespace

Delta subtract(const Snapshot& before, const Snapshot& after)
{
    Delta d;
    d.info = after.info;
    for (const auto& [reason, counts] : after.reasons) {
        auto it = before.reasons.find(reason);
        d.reasons[reason] = it == before.reasons.end() ? counts : minus(counts, it->second);
    }

    // A CPUID is accounted after it is answered, so a figure read by query
    // number n includes the reader's queries before n and none after.
    const std::uint32_t cpuid = cpuid_reason(after.info.numbering);
    auto it = d.reasons.find(cpuid);
    if (it != d.reasons.end()) {
        Counts& c = it->second;
        const std::uint64_t own = minus(read_at(after, cpuid), read_at(before, cpuid));
        const double mean_cycles = c.exits ? static_cast<double>(c.cycles) / c.exits : 0;
        c.cycles = minus(c.cycles, static_cast<std::uint64_t>(mean_cycles * own + 0.5));
        c.exits = minus(c.exits, own);
        d.own_exits = own;
    }
    // A histogram is read after its reason's counts, so a window's buckets
    // may hold a few exits more than its count (the reader's own CPUIDs
    // among them); the count is exact, so those are taken out again.
    for (const auto& [reason, histogram] : after.histograms) {
        auto old = before.histograms.find(reason);
        Histogram window =
            old == before.histograms.end() ? histogram : kvm_exitstats::subtract(histogram, old->second);
        const auto counted = d.reasons.find(reason);
        const std::uint64_t exits = counted == d.reasons.end() ? 0 : counted->second.exits;
        if (window.exits() > exits)
            window = remove_exits(window, window.exits() - exits);
        if (!window.empty())
            d.histograms[reason] = window;
    }
    d.total = sum_of(d.reasons);
    return d;
}

}  // namespace kvm_exitstats
