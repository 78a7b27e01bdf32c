// The host's VMs over a window: exits and cycles per second, most
// expensive first, and the formats that show them.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "kvm_exitstats/host_vms.hpp"

namespace kvm_exitstats {

struct VmRow {
    VmSample now;
    // The window's exits and cycles, if the VM was there at its start.
    std::optional<Counts> window;
    std::map<std::uint32_t, Counts> window_reasons;
    std::map<std::uint32_t, Histogram> window_histograms;
};

struct HostView {
    double window_seconds = 0;
    std::vector<VmRow> rows;  // by cycles/s, then by cycles, most first
};

// The VMs of `after`, with what they did since `before`.
HostView make_host_view(const std::vector<VmSample>& before, const std::vector<VmSample>& after,
                        double window_seconds);

// For people: one line per VM with its top reasons by host cycles.
std::string format_host_table(const HostView& view, std::size_t top_reasons);
// One line per window, for `host watch` when the output is not a terminal.
std::string format_host_line(const HostView& view, double time_seconds);
// Indented, or one object per line for `host watch --json`.
std::string format_host_json(const HostView& view, bool one_line = false);
std::string format_host_csv(const HostView& view);
// node_exporter's textfile format with a "vm" label per VM; counters since
// each VM started.
std::string format_host_prometheus(const std::vector<VmSample>& samples);

}  // namespace kvm_exitstats
