// Reads the exit statistics of the host through CPUID.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <vector>

#include "kvm_exitstats/cpuid.hpp"
#include "kvm_exitstats/histogram.hpp"
#include "kvm_exitstats/reason_names.hpp"

namespace kvm_exitstats {

enum class Availability {
    not_a_guest,   // CPUID.1:ECX[31] is clear: no hypervisor
    no_interface,  // a hypervisor without the signature (or with the statistics off)
    available,
};

enum class Scope : std::uint32_t { vm = 0, host = 1 };

struct HostInfo {
    std::uint32_t version = 0;
    Numbering numbering = Numbering::vmx;
    Scope scope = Scope::vm;
    std::uint32_t max_reason = 0;
    std::uint32_t tsc_khz = 0;  // 0 if the host does not know
};

struct Counts {
    std::uint64_t exits = 0;
    std::uint64_t cycles = 0;

    Counts& operator+=(const Counts& other)
    {
        exits += other.exits;
        cycles += other.cycles;
        return *this;
    }
    bool operator==(const Counts& other) const { return exits == other.exits && cycles == other.cycles; }
    bool operator!=(const Counts& other) const { return !(*this == other); }
};

// The sum over reasons, which a total must equal.
inline Counts sum_of(const std::map<std::uint32_t, Counts>& reasons)
{
    Counts sum;
    for (const auto& [reason, counts] : reasons)
        sum += counts;
    return sum;
}

// A defined reason that KVM does not handle reads like one without exits.
struct ReasonReading {
    bool defined = false;
    Counts counts;
};

// Thrown when the interface disappears while it is being read: the host
// switched the statistics off (or its modules were replaced).
class InterfaceGone : public std::runtime_error {
public:
    InterfaceGone();
};

// All defined reasons, read one after the other. The total is their sum, so
// that it agrees with the rows even though the reads are not one instant.
// Each figure remembers the sequence number of the CPUID that read it, so
// deltas can remove the reader's own CPUID exits exactly.
struct Snapshot {
    HostInfo info;
    Counts total;
    std::map<std::uint32_t, Counts> reasons;
    std::map<std::uint32_t, std::uint64_t> reason_read_at;
    // Interface 2 and later: the reasons with exits that KVM handles.
    std::map<std::uint32_t, Histogram> histograms;
};

class ExitStatsReader {
public:
    explicit ExitStatsReader(CpuidSource& cpuid);

    Availability probe();
    // The host's description; throws InterfaceGone if the signature is absent.
    HostInfo info();
    Counts totals();
    ReasonReading reason(std::uint32_t reason);
    // The first snapshot finds the defined reasons among 0..max_reason;
    // each snapshot then costs 1 + 2 * (defined reasons) CPUIDs, and from
    // interface 2 on one more per reason with exits and one per bucket that
    // holds its exits.
    Snapshot snapshot();
    // Interface 2: a handled reason's histogram; none if it has no exits
    // or the host keeps no histograms.
    std::optional<Histogram> histogram(std::uint32_t reason);

    // CPUIDs this reader has executed, each of them a VM exit.
    std::uint64_t queries_issued() const { return queries_; }

private:
    CpuidRegs query(std::uint32_t leaf, std::uint32_t subleaf = 0);
    void require_signature();

    CpuidSource& cpuid_;
    std::uint64_t queries_ = 0;
    std::optional<HostInfo> info_;
    std::vector<std::uint32_t> defined_reasons_;
};

}  // namespace kvm_exitstats
