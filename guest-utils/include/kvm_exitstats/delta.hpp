// The exits and cycles between two snapshots.
#pragma once

#include <cstdint>
#include <map>

#include "kvm_exitstats/reader.hpp"

namespace kvm_exitstats {

struct Delta {
    HostInfo info;
    Counts total;
    std::map<std::uint32_t, Counts> reasons;
    // The reader's own CPUID exits in the window, removed from the CPUID
    // reason and so from the total. Their count is exact; their cycles are
    // estimated at the window's mean cost of a CPUID exit.
    std::uint64_t own_exits = 0;
    // Each with no more exits than its reason's count in the window.
    std::map<std::uint32_t, Histogram> histograms;
};

// after - before, without the CPUID exits of the reader that took both.
Delta subtract(const Snapshot& before, const Snapshot& after);

}  // namespace kvm_exitstats
