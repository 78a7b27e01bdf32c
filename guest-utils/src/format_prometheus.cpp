#include <fmt/format.h>

#include "kvm_exitstats/formats.hpp"
#include "kvm_exitstats/text_fields.hpp"
#include "prometheus_histogram.hpp"

namespace kvm_exitstats {
using text::label_value;
using text::prometheus_family;

std::string format_prometheus(const Report& r)
{
    const std::string numbering(numbering_name(r.info.numbering));
    std::string out;
    prometheus_family(out, "kvm_exitstats_exits_total", "counter",
                      "VM exits the host counted, by exit reason.");
    for (const ReasonRow& row : r.rows)
        out += fmt::format("kvm_exitstats_exits_total{{numbering=\"{}\",reason=\"{}\",code=\"{}\"}} {}\n",
                           numbering, label_value(row.name), row.reason, row.counts.exits);
    prometheus_family(out, "kvm_exitstats_cycles_total", "counter",
                      "Host TSC cycles spent handling VM exits, by exit reason.");
    for (const ReasonRow& row : r.rows)
        out += fmt::format("kvm_exitstats_cycles_total{{numbering=\"{}\",reason=\"{}\",code=\"{}\"}} {}\n",
                           numbering, label_value(row.name), row.reason, row.counts.cycles);
    prometheus_family(out, "kvm_exitstats_all_exits_total", "counter", "VM exits of all reasons.");
    out += fmt::format("kvm_exitstats_all_exits_total {}\n", r.total.exits);
    prometheus_family(out, "kvm_exitstats_all_cycles_total", "counter",
                      "Host TSC cycles spent handling VM exits of all reasons.");
    out += fmt::format("kvm_exitstats_all_cycles_total {}\n", r.total.cycles);
    if (r.has_latency() && r.info.tsc_khz) {
        prometheus_family(out, "kvm_exitstats_exit_duration_seconds", "histogram",
                          "Host time spent handling each VM exit, by exit reason.");
        for (const ReasonRow& row : r.rows)
            if (row.latency)
                append_duration_histogram(out, "kvm_exitstats_exit_duration_seconds",
                                          fmt::format("numbering=\"{}\",reason=\"{}\",code=\"{}\"", numbering,
                                                      label_value(row.name), row.reason),
                                          *row.latency, row.counts.cycles, r.info.tsc_khz);
    }
    prometheus_family(out, "kvm_exitstats_tsc_hertz", "gauge", "Host TSC frequency (0 if unknown).");
    out += fmt::format("kvm_exitstats_tsc_hertz {}\n",
                       static_cast<std::uint64_t>(r.info.tsc_khz) * 1000);
    prometheus_family(out, "kvm_exitstats_info", "gauge", "The host's exit statistics interface.");
    out += fmt::format("kvm_exitstats_info{{version=\"{}\",numbering=\"{}\",scope=\"{}\"}} 1\n",
                       r.info.version, numbering, r.info.scope == Scope::host ? "host" : "vm");
    return out;
}

}  // namespace kvm_exitstats
