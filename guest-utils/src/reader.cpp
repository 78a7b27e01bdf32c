#include "kvm_exitstats/reader.hpp"

#include "kvm_exitstats/interface.hpp"

namespace kvm_exitstats {
namespace {

constexpr std::uint32_t hypervisor_present_bit = 1u << 31;
// SVM exit codes live in two ranges; nothing between them is a reason.
constexpr std::uint32_t svm_low_end = 0x100;
constexpr std::uint32_t svm_high_start = 0x400;

std::uint64_t join(std::uint32_t high, std::uint32_t low)
{
    return static_cast<std::uint64_t>(high) << 32 | low;
}

bool has_signature(const CpuidRegs& r)
{
    return r.ebx == leaf::signature_ebx && r.ecx == leaf::signature_ecx &&
           r.edx == leaf::signature_edx;
}

}  // namespace

InterfaceGone::InterfaceGone()
    : std::runtime_error("the kvm-exitstats interface is gone: the host switched the statistics off")
{
}

ExitStatsReader::ExitStatsReader(CpuidSource& cpuid) : cpuid_(cpuid) {}

CpuidRegs ExitStatsReader::query(std::uint32_t leaf, std::uint32_t subleaf)
{
    ++queries_;
    return cpuid_.query(leaf, subleaf);
}

Availability ExitStatsReader::probe()
{
    if (!(query(leaf::hypervisor_features).ecx & hypervisor_present_bit))
        return Availability::not_a_guest;
    const CpuidRegs discovery = query(leaf::discovery);
    if (!has_signature(discovery) || discovery.eax < leaf::supported_version)
        return Availability::no_interface;
    return Availability::available;
}

void ExitStatsReader::require_signature()
{
    if (!has_signature(query(leaf::discovery)))
        throw InterfaceGone();
}

HostInfo ExitStatsReader::info()
{
    if (info_)
        return *info_;
    const CpuidRegs discovery = query(leaf::discovery);
    if (!has_signature(discovery))
        throw InterfaceGone();
    const CpuidRegs r = query(leaf::info);
    HostInfo info;
    info.version = discovery.eax;
    info.numbering = r.eax == static_cast<std::uint32_t>(Numbering::svm) ? Numbering::svm
                                                                          : Numbering::vmx;
    info.scope = r.ebx ? Scope::host : Scope::vm;
    info.max_reason = r.ecx;
    info.tsc_khz = r.edx;
    info_ = info;
    return info;
}

Counts ExitStatsReader::totals()
{
    const CpuidRegs exits = query(leaf::total_exits64);
    const CpuidRegs both = query(leaf::totals);
    return {join(exits.ebx, exits.eax), join(both.ebx, both.ecx)};
}

ReasonReading ExitStatsReader::reason(std::uint32_t reason)
{
    const CpuidRegs exits = query(leaf::reason_exits64, reason);
    if (exits.edx == leaf::undefined_reason_edx)
        return {false, {}};
    const CpuidRegs cycles = query(leaf::reason_cycles, reason);
    return {true, {join(exits.ebx, exits.eax), join(cycles.ebx, cycles.ecx)}};
}

std::optional<Histogram> ExitStatsReader::histogram(std::uint32_t reason)
{
    if (info().version < leaf::histogram_version)
        return std::nullopt;
    const CpuidRegs summary = query(leaf::reason_histogram, reason);
    if ((summary.ebx >> 8 & 0xFF) != Histogram::buckets)
        return std::nullopt;
    const std::uint64_t nonempty = join(summary.ebx & 0xFF, summary.eax);
    if (!nonempty)
        return std::nullopt;
    Histogram h;
    h.max = join(summary.edx, summary.ecx);
    for (unsigned i = 0; i < Histogram::buckets; ++i)
        if (nonempty >> i & 1) {
            const CpuidRegs bucket = query(leaf::reason_bucket, reason | i << 16);
            h.count[i] = join(bucket.ebx, bucket.eax);
        }
    return h;
}

Snapshot ExitStatsReader::snapshot()
{
    // The first info() reads the signature itself; later snapshots check it
    // again because the host can switch the statistics off at any time.
    const bool described = info_.has_value();
    const HostInfo host = info();
    if (described)
        require_signature();
    if (defined_reasons_.empty()) {
        for (std::uint32_t r = 0; r <= host.max_reason; ++r) {
            if (host.numbering == Numbering::svm && r == svm_low_end)
                r = svm_high_start;
            if (query(leaf::reason_exits64, r).edx != leaf::undefined_reason_edx)
                defined_reasons_.push_back(r);
        }
    }

    Snapshot s;
    s.info = host;
    for (std::uint32_t r : defined_reasons_) {
        s.reason_read_at[r] = queries_;
        const CpuidRegs exits = query(leaf::reason_exits64, r);
        const CpuidRegs cycles = query(leaf::reason_cycles, r);
        const Counts counts{join(exits.ebx, exits.eax), join(cycles.ebx, cycles.ecx)};
        s.reasons[r] = counts;
        s.total += counts;
    }
    // Read after the counts, a histogram may hold more exits (for the CPUID
    // reason, the reader's own); it is cut to the count it goes with.
    for (const auto& [r, counts] : s.reasons)
        if (counts.exits)
            if (auto h = histogram(r))
                s.histograms[r] = h->exits() > counts.exits ? remove_exits(*h, h->exits() - counts.exits) : *h;
    return s;
}

}  // namespace kvm_exitstats
