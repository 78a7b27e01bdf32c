#include "kvm_exitstats/host_view.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "costliest_reasons.hpp"
#include "kvm_exitstats/text_fields.hpp"
#include "latency_json.hpp"
#include "prometheus_histogram.hpp"

namespace kvm_exitstats {

using text::csv_field;
using text::grouped;
using text::label_value;
using text::prometheus_family;
using text::short_duration;

namespace {

Counts minus(const Counts& after, const Counts& before)
{
    // Counters only grow; a VM whose counts went down is not the same VM.
    if (after.exits < before.exits || after.cycles < before.cycles)
        return {};
    return {after.exits - before.exits, after.cycles - before.cycles};
}

double per_second(std::uint64_t n, double seconds)
{
    return seconds > 0 ? static_cast<double>(n) / seconds : 0.0;
}

}  // namespace

HostView make_host_view(const std::vector<VmSample>& before, const std::vector<VmSample>& after,
                        double window_seconds)
{
    HostView view;
    view.window_seconds = window_seconds;
    std::map<std::string, const VmSample*> earlier;
    for (const VmSample& sample : before)
        earlier.emplace(sample.id.dir, &sample);
    for (const VmSample& now : after) {
        VmRow row{now, std::nullopt, {}, {}};
        const auto found = earlier.find(now.id.dir);
        if (found != earlier.end()) {
            const VmSample* then = found->second;
            row.window = minus(now.file.total, then->file.total);
            for (const auto& [reason, counts] : now.file.reasons) {
                const auto old = then->file.reasons.find(reason);
                const Counts delta = old == then->file.reasons.end() ? counts : minus(counts, old->second);
                if (delta.exits)
                    row.window_reasons[reason] = delta;
            }
            for (const auto& [reason, histogram] : now.file.histograms) {
                const auto old = then->file.histograms.find(reason);
                const Histogram delta =
                    old == then->file.histograms.end() ? histogram : subtract(histogram, old->second);
                if (!delta.empty())
                    row.window_histograms[reason] = delta;
            }
        }
        view.rows.push_back(std::move(row));
    }
    std::stable_sort(view.rows.begin(), view.rows.end(), [](const VmRow& a, const VmRow& b) {
        const std::uint64_t wa = a.window ? a.window->cycles : 0, wb = b.window ? b.window->cycles : 0;
        if (wa != wb)
            return wa > wb;
        return a.now.file.total.cycles > b.now.file.total.cycles;
    });
    return view;
}

namespace {

// The 99th percentile of a reason's exits, where the modules keep histograms.
std::string tail_text(const std::map<std::uint32_t, Histogram>& histograms, std::uint32_t reason,
                      std::uint32_t tsc_khz)
{
    const auto found = histograms.find(reason);
    if (found == histograms.end())
        return "";
    const auto p99 = quantile(found->second, 0.99);
    return p99 ? " p99 " + short_duration(*p99, tsc_khz) : "";
}

// The reasons that cost the most host cycles in the window (over the VM's
// life if the window saw none), with their share of those cycles and the
// tail of their exits.
std::string top_reasons(const VmRow& row, std::size_t top)
{
    const bool in_window = row.window && row.window->cycles;
    const auto& histograms = in_window ? row.window_histograms : row.now.file.histograms;
    return costliest_reasons_text(
        row.now.file.numbering, in_window ? row.window_reasons : row.now.file.reasons,
        in_window ? row.window->cycles : row.now.file.total.cycles, top,
        [&](std::uint32_t reason) { return tail_text(histograms, reason, row.now.file.tsc_khz); });
}

std::string rate_text(const VmRow& row, bool cycles, double seconds)
{
    if (!row.window)
        return "-";
    const double rate = per_second(cycles ? row.window->cycles : row.window->exits, seconds);
    return cycles ? grouped(static_cast<std::uint64_t>(rate)) : fmt::format("{:.1f}", rate);
}

}  // namespace

std::string format_host_table(const HostView& view, std::size_t top)
{
    if (view.rows.empty())
        return "no running VMs\n";
    std::string out = fmt::format("{:>8} {:<20} {:>5} {:>14} {:>18} {:>10} {:>16}  {}\n", "PID", "NAME",
                                  "VCPUS", "EXITS", "HOST CYCLES", "EXITS/S", "CYCLES/S",
                                  "TOP REASONS (share of cycles, p99 of an exit)");
    for (const VmRow& row : view.rows) {
        const VmFile& f = row.now.file;
        out += fmt::format("{:>8} {:<20} {:>5} {:>14} {:>18} {:>10} {:>16}  {}\n", row.now.id.pid,
                           row.now.id.name.empty() ? "-" : row.now.id.name, f.vcpus,
                           grouped(f.total.exits), grouped(f.total.cycles),
                           rate_text(row, false, view.window_seconds),
                           rate_text(row, true, view.window_seconds), top_reasons(row, top));
    }
    out += fmt::format("({} VMs; rates over {:.1f} s; most host cycles per second first)\n",
                       view.rows.size(), view.window_seconds);
    return out;
}

std::string format_host_line(const HostView& view, double time_seconds)
{
    std::string line = fmt::format("{:.1f}s", time_seconds);
    if (view.rows.empty())
        line += " no running VMs";
    for (const VmRow& row : view.rows)
        line += fmt::format(" | {} exits/s {} cycles/s {} top {}", row.now.id.label(),
                            rate_text(row, false, view.window_seconds),
                            row.window ? fmt::format("{:.0f}", per_second(row.window->cycles, view.window_seconds))
                                       : "-",
                            top_reasons(row, 1));
    return line + '\n';
}

std::string format_host_json(const HostView& view, bool one_line)
{
    using nlohmann::json;
    json vms = json::array();
    for (const VmRow& row : view.rows) {
        const VmFile& f = row.now.file;
        json reasons = json::array();
        for (const auto& [reason, c] : f.reasons) {
            json item = {{"reason", reason},
                         {"name", reason_name(f.numbering, reason)},
                         {"exits", c.exits},
                         {"cycles", c.cycles}};
            if (const auto h = f.histograms.find(reason); h != f.histograms.end())
                item["latency"] = latency_json(h->second);
            reasons.push_back(std::move(item));
        }
        json vm = {{"pid", row.now.id.pid},     {"dir", row.now.id.dir},
                   {"name", row.now.id.name},   {"numbering", numbering_name(f.numbering)},
                   {"tsc_khz", f.tsc_khz},      {"vcpus", f.vcpus},
                   {"exits", f.total.exits},    {"cycles", f.total.cycles},
                   {"reasons", reasons}};
        if (row.window) {
            vm["exits_per_second"] = per_second(row.window->exits, view.window_seconds);
            vm["cycles_per_second"] = per_second(row.window->cycles, view.window_seconds);
        }
        vms.push_back(vm);
    }
    return json{{"window_seconds", view.window_seconds}, {"vms", vms}}.dump(one_line ? -1 : 2) + "\n";
}

std::string format_host_csv(const HostView& view)
{
    std::string out = "pid,dir,name,vcpus,exits,cycles,exits_per_second,cycles_per_second\n";
    for (const VmRow& row : view.rows) {
        const VmFile& f = row.now.file;
        out += fmt::format("{},{},{},{},{},{},", row.now.id.pid, row.now.id.dir, csv_field(row.now.id.name),
                           f.vcpus, f.total.exits, f.total.cycles);
        out += row.window ? fmt::format("{:.3f},{:.0f}\n", per_second(row.window->exits, view.window_seconds),
                                        per_second(row.window->cycles, view.window_seconds))
                          : std::string(",\n");
    }
    return out;
}

std::string format_host_prometheus(const std::vector<VmSample>& samples)
{
    std::string out;
    auto vm_labels = [](const VmSample& s) {
        return fmt::format("vm=\"{}\",pid=\"{}\",kvm_dir=\"{}\"", label_value(s.id.label()), s.id.pid,
                           s.id.dir);
    };
    prometheus_family(out, "kvm_exitstats_vm_exits_total", "counter", "VM exits of the VM, by exit reason.");
    for (const VmSample& s : samples)
        for (const auto& [reason, c] : s.file.reasons)
            out += fmt::format("kvm_exitstats_vm_exits_total{{{},numbering=\"{}\",reason=\"{}\",code=\"{}\"}} {}\n",
                               vm_labels(s), numbering_name(s.file.numbering),
                               label_value(reason_name(s.file.numbering, reason)), reason, c.exits);
    prometheus_family(out, "kvm_exitstats_vm_cycles_total", "counter",
                      "Host TSC cycles spent handling the VM's exits, by exit reason.");
    for (const VmSample& s : samples)
        for (const auto& [reason, c] : s.file.reasons)
            out += fmt::format("kvm_exitstats_vm_cycles_total{{{},numbering=\"{}\",reason=\"{}\",code=\"{}\"}} {}\n",
                               vm_labels(s), numbering_name(s.file.numbering),
                               label_value(reason_name(s.file.numbering, reason)), reason, c.cycles);
    prometheus_family(out, "kvm_exitstats_vm_all_exits_total", "counter", "VM exits of the VM, all reasons.");
    for (const VmSample& s : samples)
        out += fmt::format("kvm_exitstats_vm_all_exits_total{{{}}} {}\n", vm_labels(s), s.file.total.exits);
    prometheus_family(out, "kvm_exitstats_vm_all_cycles_total", "counter",
                      "Host TSC cycles spent handling the VM's exits, all reasons.");
    for (const VmSample& s : samples)
        out += fmt::format("kvm_exitstats_vm_all_cycles_total{{{}}} {}\n", vm_labels(s), s.file.total.cycles);
    const bool any_histogram = std::any_of(samples.begin(), samples.end(), [](const VmSample& s) {
        return !s.file.histograms.empty() && s.file.tsc_khz;
    });
    if (any_histogram) {
        prometheus_family(out, "kvm_exitstats_vm_exit_duration_seconds", "histogram",
                          "Host time spent handling each of the VM's exits, by exit reason.");
        for (const VmSample& s : samples)
            for (const auto& [reason, h] : s.file.histograms)
                if (s.file.tsc_khz)
                    append_duration_histogram(
                        out, "kvm_exitstats_vm_exit_duration_seconds",
                        fmt::format("{},numbering=\"{}\",reason=\"{}\",code=\"{}\"", vm_labels(s),
                                    numbering_name(s.file.numbering),
                                    label_value(reason_name(s.file.numbering, reason)), reason),
                        h, s.file.reasons.at(reason).cycles, s.file.tsc_khz);
    }
    prometheus_family(out, "kvm_exitstats_vm_vcpus", "gauge", "vCPUs of the VM.");
    for (const VmSample& s : samples)
        out += fmt::format("kvm_exitstats_vm_vcpus{{{}}} {}\n", vm_labels(s), s.file.vcpus);
    prometheus_family(out, "kvm_exitstats_vms", "gauge", "VMs whose statistics were read.");
    out += fmt::format("kvm_exitstats_vms {}\n", samples.size());
    if (!samples.empty()) {
        prometheus_family(out, "kvm_exitstats_tsc_hertz", "gauge", "Host TSC frequency (0 if unknown).");
        out += fmt::format("kvm_exitstats_tsc_hertz {}\n",
                           static_cast<std::uint64_t>(samples.front().file.tsc_khz) * 1000);
    }
    return out;
}

}  // namespace kvm_exitstats
