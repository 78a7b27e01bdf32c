// What every output format shows: totals and one row per reason.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "kvm_exitstats/delta.hpp"
#include "kvm_exitstats/reader.hpp"

namespace kvm_exitstats {

struct ReasonRow {
    std::uint32_t reason = 0;
    std::string name;
    Counts counts;
    std::optional<Histogram> latency;  // where the host keeps histograms
};

struct Report {
    HostInfo info;
    Counts total;
    std::vector<ReasonRow> rows;  // by exits, most first; zero rows included
    // Set for a delta: the wall-clock length of the window, for rates.
    std::optional<double> window_seconds;
    std::uint64_t own_exits = 0;
    // Whose exits these are, for the title; empty: the guest's own view.
    std::string subject;
    // The host's modules are older than 0.4.0: no histograms to show.
    bool latency_unsupported = false;

    bool has_latency() const;
};

Report make_report(const Snapshot& snapshot);
Report make_report(const Delta& delta, double window_seconds);

// Host time the cycles stand for, if the TSC frequency is known.
std::optional<double> cycles_to_seconds(const HostInfo& info, std::uint64_t cycles);
double share_of(std::uint64_t part, std::uint64_t whole);
double average(std::uint64_t cycles, std::uint64_t exits);

}  // namespace kvm_exitstats
