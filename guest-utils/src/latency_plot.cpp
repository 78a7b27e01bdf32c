// plot --latency: a heat map over time of each costly reason's exit
// durations, one panel per reason, from a recording with histograms.
#include <algorithm>
#include <cmath>
#include <fmt/format.h>

#include "costliest_reasons.hpp"
#include "gnuplot_text.hpp"
#include "kvm_exitstats/reason_names.hpp"
#include "kvm_exitstats/recording.hpp"
#include "kvm_exitstats/text_fields.hpp"

namespace kvm_exitstats {
namespace {

const Histogram* histogram_of(const RecordedSample& sample, std::uint32_t reason)
{
    const auto it = sample.histograms.find(reason);
    return it == sample.histograms.end() ? nullptr : &it->second;
}

// The reasons with histograms, the most host cycles first.
std::vector<std::uint32_t> costliest(const RecordedSample& last, std::size_t top_reasons)
{
    std::vector<std::uint32_t> reasons;
    for (const auto& [reason, counts] : by_cycles(last.reasons)) {
        const auto h = last.histograms.find(reason);
        if (reasons.size() < top_reasons && h != last.histograms.end() && !h->second.empty())
            reasons.push_back(reason);
    }
    return reasons;
}

LatencyPanel panel_of(const Recording& r, std::uint32_t reason)
{
    LatencyPanel panel;
    const Histogram empty;
    const double t0 = r.samples.front().time;
    for (std::size_t i = 1; i < r.samples.size(); ++i) {
        const RecordedSample &before = r.samples[i - 1], &now = r.samples[i];
        const double seconds = now.time - before.time;
        const Histogram* after = histogram_of(now, reason);
        if (seconds <= 0 || !after)
            continue;
        const Histogram* earlier = histogram_of(before, reason);
        const Histogram window = subtract(*after, earlier ? *earlier : empty);
        if (window.empty())
            continue;
        for (unsigned b = 0; b < Histogram::buckets; ++b)
            if (window.count[b])
                panel.cells.push_back({before.time - t0, now.time - t0, b,
                                       static_cast<double>(window.count[b]) / seconds});
        panel.p99.emplace_back(now.time - t0, quantile(window, 0.99).value_or(0));
    }
    const Histogram& whole = r.samples.back().histograms.at(reason);
    auto duration = [&](std::optional<double> cycles) { return text::short_duration(cycles.value_or(0), r.tsc_khz); };
    panel.title = fmt::format("{}: {} exits, p50 {}, p99 {}, max {}", reason_label(r.numbering, reason),
                              text::grouped(whole.exits()), duration(quantile(whole, 0.5)),
                              duration(quantile(whole, 0.99)), duration(static_cast<double>(whole.max)));
    return panel;
}

// A bucket's edges on the picture's axis: microseconds when the TSC's
// frequency is known, else cycles. Bucket 0 (0 cycles) is drawn below 1.
std::pair<double, double> bucket_edges(unsigned bucket, std::uint32_t tsc_khz)
{
    const double low = bucket == 0 ? 0.5 : static_cast<double>(bucket_low(bucket));
    const double high = bucket == 0 ? 1.0 : 2.0 * static_cast<double>(bucket_low(bucket));
    const double scale = tsc_khz ? 1e3 / tsc_khz : 1.0;
    return {low * scale, high * scale};
}

}  // namespace

LatencyPlotData make_latency_plot_data(const Recording& r, std::size_t top_reasons)
{
    if (!r.has_latency)
        throw NoLatency("the recording has no histograms (max_cycles,b0..b35): it was made from modules "
                        "of interface 1, or by a kvm-exitstats older than 0.4.0");
    LatencyPlotData plot;
    plot.tsc_khz = r.tsc_khz;
    plot.duration = r.samples.back().time - r.samples.front().time;
    for (std::uint32_t reason : costliest(r.samples.back(), top_reasons)) {
        LatencyPanel panel = panel_of(r, reason);
        if (!panel.cells.empty())
            plot.panels.push_back(std::move(panel));
    }
    if (plot.panels.empty())
        throw NoLatency("no reason's exits fall between two samples of the recording: nothing to draw");
    plot.title = fmt::format("{}: how long its VM exits took, over {:.1f} s (the {} reasons that cost the "
                             "most host time)",
                             r.vm.empty() ? "Recorded in the guest" : "VM " + r.vm, plot.duration,
                             plot.panels.size());
    return plot;
}

// One block per panel (gnuplot's "index"): the cells as start end low high
// rate, then one block per panel of the intervals' p99.
std::string gnuplot_latency_data(const LatencyPlotData& plot)
{
    std::string out = "# per panel: start end low high exits-per-second; then per panel: end p99\n";
    for (const LatencyPanel& panel : plot.panels) {
        for (const LatencyCell& cell : panel.cells) {
            const auto [low, high] = bucket_edges(cell.bucket, plot.tsc_khz);
            out += fmt::format("{:.3f} {:.3f} {:.6g} {:.6g} {:.6g}\n", cell.start, cell.end, low, high, cell.rate);
        }
        out += "\n\n";
    }
    const double scale = plot.tsc_khz ? 1e3 / plot.tsc_khz : 1.0;
    for (const LatencyPanel& panel : plot.panels) {
        for (const auto& [end, cycles] : panel.p99)
            out += fmt::format("{:.3f} {:.6g}\n", end, std::max(cycles, 0.5) * scale);
        out += "\n\n";
    }
    return out;
}

std::string gnuplot_latency_script(const LatencyPlotData& plot, const std::string& data_path,
                                   const std::string& output_path, PlotFormat format)
{
    const std::size_t n = plot.panels.size();
    std::string s = gnuplot_terminal(format, 1100, static_cast<unsigned>(120 + 230 * n), output_path);
    const std::string data = gnuplot_string(data_path);
    s += fmt::format("set multiplot layout {},1 title {}\n", n, gnuplot_string(plot.title));
    s += fmt::format("set xrange [0:{:.3f}]\n", std::max(plot.duration, 0.001));
    s += fmt::format("set logscale y 10\nset format y '%g'\nset ylabel '{} per exit'\n",
                     plot.tsc_khz ? "µs" : "cycles");
    s += "set logscale cb 10\nset format cb '%g'\nset cblabel 'exits per second'\n"
         "set palette defined (0 '#440154', 0.35 '#31688e', 0.65 '#35b779', 1 '#fde725')\n"
         "set style fill solid 1.0 noborder\nset grid front\nset key top left opaque\n";
    for (std::size_t i = 0; i < n; ++i) {
        s += fmt::format("set title {}\n", gnuplot_string(plot.panels[i].title));
        s += i + 1 == n ? "set xlabel 'seconds since the first sample'\n" : "unset xlabel\n";
        s += fmt::format("plot {0} index {1} using (($1+$2)/2):(sqrt($3*$4)):1:2:3:4:5 with boxxyerror "
                         "fc palette notitle, \\\n     {0} index {2} using 1:2 with points pt 7 ps 0.5 lc rgb '#000000' "
                         "title 'p99 of each interval'\n",
                         data, i, n + i);
    }
    return s + "unset multiplot\n";
}

}  // namespace kvm_exitstats
