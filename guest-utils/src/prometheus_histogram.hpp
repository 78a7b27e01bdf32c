// Exit durations as a Prometheus histogram in seconds (the guest's and the
// host's node_exporter textfiles share it).
#pragma once

#include <cstdint>
#include <string>

#include "kvm_exitstats/histogram.hpp"

namespace kvm_exitstats {

// NAME_bucket{LABELS,le="..."} for every bucket, cumulative, with le the
// longest exit a bucket holds, (2^i - 1) cycles, in seconds at 4
// significant digits, then +Inf; NAME_sum (the exits' cycles in seconds)
// and NAME_count. Needs the TSC frequency (tsc_khz > 0).
void append_duration_histogram(std::string& out, const std::string& name, const std::string& labels,
                               const Histogram& histogram, std::uint64_t cycles, std::uint32_t tsc_khz);

}  // namespace kvm_exitstats
