#include "kvm_exitstats/vcpu_view.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "costliest_reasons.hpp"
#include "kvm_exitstats/text_fields.hpp"

namespace kvm_exitstats {

using text::grouped;

std::string format_vcpu_table(const VmFile& file, const std::string& subject, std::size_t top)
{
    if (file.vcpu_counts.empty())
        return "";
    Counts all;
    for (const VcpuCounts& vcpu : file.vcpu_counts)
        all += vcpu.total;
    std::string out = fmt::format("vCPUs of {}: {} exits, {} host cycles since the VM started\n", subject,
                                  grouped(all.exits), grouped(all.cycles));
    out += fmt::format("{:>5} {:>14} {:>6} {:>18} {:>6}  {}\n", "VCPU", "EXITS", "SHARE", "HOST CYCLES", "SHARE",
                       "TOP REASONS (share of the vCPU's cycles)");
    for (const VcpuCounts& vcpu : file.vcpu_counts)
        out += fmt::format("{:>5} {:>14} {:>5.1f}% {:>18} {:>5.1f}%  {}\n", vcpu.id, grouped(vcpu.total.exits),
                           100.0 * share_of(vcpu.total.exits, all.exits), grouped(vcpu.total.cycles),
                           100.0 * share_of(vcpu.total.cycles, all.cycles),
                           costliest_reasons_text(file.numbering, vcpu.reasons, vcpu.total.cycles, top));
    return out;
}

std::string format_vcpu_json(const VmFile& file)
{
    using nlohmann::json;
    json vcpus = json::array();
    for (const VcpuCounts& vcpu : file.vcpu_counts) {
        json reasons = json::array();
        for (const auto& [reason, c] : vcpu.reasons)
            reasons.push_back({{"reason", reason},
                               {"name", reason_name(file.numbering, reason)},
                               {"exits", c.exits},
                               {"cycles", c.cycles}});
        vcpus.push_back({{"vcpu", vcpu.id},
                         {"exits", vcpu.total.exits},
                         {"cycles", vcpu.total.cycles},
                         {"reasons", std::move(reasons)}});
    }
    return json{{"numbering", numbering_name(file.numbering)}, {"tsc_khz", file.tsc_khz}, {"vcpus", vcpus}}.dump(2) +
           "\n";
}

}  // namespace kvm_exitstats
