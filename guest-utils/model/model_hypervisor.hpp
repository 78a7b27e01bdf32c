// A model of a host with kvm-exitstats, for tests: it answers the CPUID
// contract of docs/cpuid-interface.md from counts it keeps, and counts
// every CPUID it answers as a CPUID exit, as KVM does.
#pragma once

#include <cstdint>
#include <map>
#include <set>

#include "kvm_exitstats/cpuid.hpp"
#include "kvm_exitstats/histogram.hpp"
#include "kvm_exitstats/reason_names.hpp"

namespace kvm_exitstats::model {

enum class HostState {
    bare_metal,        // no hypervisor at all
    stock_kvm,         // a hypervisor without kvm-exitstats
    statistics_off,    // kvm-exitstats loaded with exitstats=off: like stock KVM
    statistics_on,
};

class ModelHypervisor final : public CpuidSource {
public:
    explicit ModelHypervisor(Numbering numbering, HostState state = HostState::statistics_on);

    CpuidRegs query(std::uint32_t leaf, std::uint32_t subleaf) override;

    void set_state(HostState state) { state_ = state; }
    void set_host_scope(bool host) { host_scope_ = host; }
    // 1: the modules of kvm-exitstats 0.2.0 and 0.3.0, without histograms.
    void set_interface_version(std::uint32_t version) { version_ = version; }
    // Exits of the guest's own work.
    void add_exits(std::uint32_t reason, std::uint64_t exits, std::uint64_t cycles_each);

    std::uint64_t exits(std::uint32_t reason) const;
    std::uint32_t cpuid_cycles() const { return cpuid_cycles_; }
    std::uint32_t tsc_khz() const { return tsc_khz_; }
    bool is_defined(std::uint32_t reason) const { return defined_.count(reason) != 0; }
    bool is_handled(std::uint32_t reason) const { return handled_.count(reason) != 0; }
    std::uint32_t max_reason() const { return max_reason_; }

private:
    struct Counts {
        std::uint64_t exits = 0;
        std::uint64_t cycles = 0;
        Histogram latency;
    };

    CpuidRegs answer(std::uint32_t leaf, std::uint32_t subleaf) const;
    CpuidRegs answer_reason(std::uint32_t leaf, std::uint32_t reason) const;
    CpuidRegs answer_histogram(std::uint32_t leaf, std::uint32_t subleaf) const;
    Counts total() const;

    Numbering numbering_;
    HostState state_;
    bool host_scope_ = false;
    std::uint32_t version_ = 2;
    std::set<std::uint32_t> defined_;
    std::set<std::uint32_t> handled_;
    std::uint32_t max_reason_ = 0;
    std::map<std::uint32_t, Counts> counts_;
    std::uint32_t cpuid_cycles_ = 1500;
    std::uint32_t tsc_khz_ = 2000000;
};

}  // namespace kvm_exitstats::model
