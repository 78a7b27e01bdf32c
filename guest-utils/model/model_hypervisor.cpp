#include "model_hypervisor.hpp"

#include <algorithm>

#include "kvm_exitstats/interface.hpp"

namespace kvm_exitstats::model {
namespace {

constexpr std::uint32_t hypervisor_present_bit = 1u << 31;

// What the model's host defines and handles, after the kernel tables.
std::set<std::uint32_t> vmx_defined()
{
    std::set<std::uint32_t> s;
    for (std::uint32_t r = 0; r <= 77; ++r)
        if (r != 35 && r != 38 && r != 42 && r != 71)
            s.insert(r);
    return s;
}

std::set<std::uint32_t> svm_defined()
{
    std::set<std::uint32_t> s;
    for (std::uint32_t r : {0x0, 0x2, 0x3, 0x4, 0x8, 0x10, 0x12, 0x13, 0x14, 0x18})
        s.insert(r);
    for (std::uint32_t r = 0x20; r <= 0x37; ++r)
        if (r < 0x28 || r >= 0x30)
            s.insert(r);
    for (std::uint32_t r : {0x40, 0x41, 0x43, 0x46, 0x4d, 0x4e})
        s.insert(r);
    for (std::uint32_t r = 0x60; r <= 0x8d; ++r)
        s.insert(r);
    for (std::uint32_t r = 0x400; r <= 0x403; ++r)
        s.insert(r);
    return s;
}

}  // namespace

ModelHypervisor::ModelHypervisor(Numbering numbering, HostState state)
    : numbering_(numbering), state_(state)
{
    if (numbering == Numbering::vmx) {
        defined_ = vmx_defined();
        handled_ = defined_;
        for (std::uint32_t r : {3, 4, 5, 6, 11, 16, 17, 51})
            handled_.erase(r);
        max_reason_ = 77;
    } else {
        defined_ = svm_defined();
        handled_ = defined_;
        for (std::uint32_t r : {0x2, 0x63, 0x6e, 0x70})
            handled_.erase(r);
        max_reason_ = 0x403;
    }
}

void ModelHypervisor::add_exits(std::uint32_t reason, std::uint64_t exits,
                                std::uint64_t cycles_each)
{
    Counts& c = counts_[reason];
    c.exits += exits;
    c.cycles += exits * cycles_each;
    c.latency.count[bucket_of(cycles_each)] += exits;
    if (exits)
        c.latency.max = std::max(c.latency.max, cycles_each);
}

std::uint64_t ModelHypervisor::exits(std::uint32_t reason) const
{
    auto it = counts_.find(reason);
    return it == counts_.end() ? 0 : it->second.exits;
}

ModelHypervisor::Counts ModelHypervisor::total() const
{
    Counts sum;
    for (const auto& [reason, c] : counts_) {
        sum.exits += c.exits;
        sum.cycles += c.cycles;
    }
    return sum;
}

CpuidRegs ModelHypervisor::query(std::uint32_t leaf, std::uint32_t subleaf)
{
    const CpuidRegs regs = answer(leaf, subleaf);
    // The query's own exit is accounted after its answer, like in KVM.
    if (state_ == HostState::statistics_on)
        add_exits(cpuid_reason(numbering_), 1, cpuid_cycles_);
    return regs;
}

CpuidRegs ModelHypervisor::answer(std::uint32_t leaf, std::uint32_t subleaf) const
{
    if (leaf == kvm_exitstats::leaf::hypervisor_features)
        return {0, 0, state_ == HostState::bare_metal ? 0u : hypervisor_present_bit, 0};
    const bool ours = (leaf & 0xFFFFFFF0u) == 0x4FFFFFF0u;
    if (!ours || state_ != HostState::statistics_on)
        return {0x0d, 0x756e6547, 0x6c65746e, 0x49656e69};  // stock KVM: the highest basic leaf

    const Counts sum = total();
    switch (leaf) {
    case kvm_exitstats::leaf::discovery:
        return {version_, kvm_exitstats::leaf::signature_ebx, kvm_exitstats::leaf::signature_ecx,
                kvm_exitstats::leaf::signature_edx};
    case kvm_exitstats::leaf::info:
        return {static_cast<std::uint32_t>(numbering_), host_scope_ ? 1u : 0u, max_reason_,
                tsc_khz_};
    case kvm_exitstats::leaf::total_exits64:
        return {static_cast<std::uint32_t>(sum.exits), static_cast<std::uint32_t>(sum.exits >> 32),
                0, 0};
    case kvm_exitstats::leaf::totals:
        return {static_cast<std::uint32_t>(sum.exits), static_cast<std::uint32_t>(sum.cycles >> 32),
                static_cast<std::uint32_t>(sum.cycles), 0};
    case kvm_exitstats::leaf::reason_exits64:
    case kvm_exitstats::leaf::reason_cycles:
    case kvm_exitstats::leaf::reason_exits_alt:
    case kvm_exitstats::leaf::reason_exits:
        return answer_reason(leaf, subleaf);
    case kvm_exitstats::leaf::reason_histogram:
    case kvm_exitstats::leaf::reason_bucket:
        return version_ >= 2 ? answer_histogram(leaf, subleaf) : CpuidRegs{};
    default:
        return {};
    }
}

CpuidRegs ModelHypervisor::answer_histogram(std::uint32_t leaf, std::uint32_t subleaf) const
{
    const bool bucket_leaf = leaf == kvm_exitstats::leaf::reason_bucket;
    const std::uint32_t reason = bucket_leaf ? subleaf & 0xFFFF : subleaf;
    const std::uint32_t bucket = bucket_leaf ? subleaf >> 16 : 0;
    if (reason > max_reason_ || !is_defined(reason) || bucket >= Histogram::buckets)
        return {0, 0, 0, kvm_exitstats::leaf::undefined_reason_edx};
    if (!is_handled(reason))
        return {};
    auto it = counts_.find(reason);
    const Histogram h = it == counts_.end() ? Histogram{} : it->second.latency;
    if (bucket_leaf)
        return {static_cast<std::uint32_t>(h.count[bucket]), static_cast<std::uint32_t>(h.count[bucket] >> 32), 0, 0};
    std::uint64_t nonempty = 0;
    for (unsigned i = 0; i < Histogram::buckets; ++i)
        if (h.count[i])
            nonempty |= std::uint64_t{1} << i;
    return {static_cast<std::uint32_t>(nonempty),
            static_cast<std::uint32_t>(nonempty >> 32) | Histogram::buckets << 8,
            static_cast<std::uint32_t>(h.max), static_cast<std::uint32_t>(h.max >> 32)};
}

CpuidRegs ModelHypervisor::answer_reason(std::uint32_t leaf, std::uint32_t reason) const
{
    if (reason > max_reason_ || !is_defined(reason))
        return {0, 0, 0, kvm_exitstats::leaf::undefined_reason_edx};
    if (!is_handled(reason))
        return {};
    auto it = counts_.find(reason);
    const Counts c = it == counts_.end() ? Counts{} : it->second;
    if (leaf == kvm_exitstats::leaf::reason_exits64)
        return {static_cast<std::uint32_t>(c.exits), static_cast<std::uint32_t>(c.exits >> 32), 0, 0};
    if (leaf == kvm_exitstats::leaf::reason_cycles)
        return {0, static_cast<std::uint32_t>(c.cycles >> 32), static_cast<std::uint32_t>(c.cycles), 0};
    return {static_cast<std::uint32_t>(c.exits), 0, 0, 0};
}

}  // namespace kvm_exitstats::model
