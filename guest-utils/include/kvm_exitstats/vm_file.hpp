// The host's per-VM file, /sys/kernel/debug/kvm/PID-FD/exitstats
// (docs/host-interface.md): one VM's exits and host cycles per reason.
#pragma once

#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "kvm_exitstats/histogram.hpp"
#include "kvm_exitstats/report.hpp"

namespace kvm_exitstats {

// The newest format version this reader understands.
constexpr unsigned vm_file_version = 1;

// One vCPU's part of the file (kvm-exitstats 0.4.0 and later).
struct VcpuCounts {
    unsigned id = 0;
    Counts total;
    std::map<std::uint32_t, Counts> reasons;  // only reasons with exits
};

struct VmFile {
    unsigned version = 0;
    bool statistics_on = false;
    Numbering numbering = Numbering::vmx;
    std::uint32_t tsc_khz = 0;
    unsigned vcpus = 0;
    Counts total;
    std::map<std::uint32_t, Counts> reasons;  // only reasons with exits
    // Modules before 0.4.0 keep none (no "buckets" line); later ones have
    // one for each handled reason with exits.
    bool keeps_histograms = false;
    std::map<std::uint32_t, Histogram> histograms;
    std::vector<VcpuCounts> vcpu_counts;
};

class MalformedVmFile : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Throws MalformedVmFile, naming the line, for text that is not a file of a
// version this reader knows, whose reasons do not add up to its total, or
// whose histograms do not add up to their reasons.
VmFile parse_vm_file(std::string_view text);

// The host's view as a report in the guest's layout.
Report make_report(const VmFile& file);

}  // namespace kvm_exitstats
