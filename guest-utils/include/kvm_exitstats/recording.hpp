// A recording of one VM's counters over time, as `host record` and the
// guest's `watch --csv` write it, and what `plot` draws from it.
#pragma once

#include <cstdint>
#include <istream>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "kvm_exitstats/histogram.hpp"
#include "kvm_exitstats/reader.hpp"

namespace kvm_exitstats {

// Cumulative counts at one moment (seconds since the first sample).
struct RecordedSample {
    double time = 0;
    Counts total;
    std::map<std::uint32_t, Counts> reasons;
    // With latency: the histograms of the reasons KVM handles.
    std::map<std::uint32_t, Histogram> histograms;
};

struct Recording {
    std::string vm;  // "" when the guest recorded itself
    Numbering numbering = Numbering::vmx;
    std::uint32_t tsc_khz = 0;
    // The host kept histograms: the rows carry max_cycles and b0..b35.
    bool has_latency = false;
    std::vector<RecordedSample> samples;
};

class MalformedRecording : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// CSV: time_s,vm,numbering,tsc_khz,reason,name,exits,cycles; one row per
// reason with exits and one "total" row per sample. With latency, each row
// goes on with max_cycles,b0..b35: empty for the total and for reasons
// without a histogram (those KVM does not handle).
std::string recording_csv_header(bool latency = false);
std::string recording_csv_rows(const Recording& meta, const RecordedSample& sample);

// Throws MalformedRecording, naming the line, for anything else, and for
// counts that go down, reasons that do not add up to their total or
// histograms that do not add up to their reason's exits.
Recording parse_recording(std::istream& csv);

struct PlotSeries {
    std::string title;
    std::uint64_t exits = 0;  // over the whole recording
};

struct PlotPoint {
    double time = 0;
    std::vector<double> rates;  // exits per second, one per series
    std::uint64_t running_total = 0;
};

struct PlotData {
    std::string title;
    std::vector<PlotSeries> series;  // the top reasons by exits, then "other"
    std::vector<PlotPoint> points;
    Counts total;
    double duration = 0;
};

// The top reasons by exits and "other" for the rest, so that the series'
// exits add up to the recording's total.
PlotData make_plot_data(const Recording& recording, std::size_t top_reasons);

enum class PlotFormat { svg, png };

// Whitespace-separated columns: time, the series stacked (each column the
// sum of the series up to it), the running total.
std::string gnuplot_data(const PlotData& plot);
std::string gnuplot_script(const PlotData& plot, const std::string& data_path,
                           const std::string& output_path, PlotFormat format);

// The latency of a recording: for each of the reasons that cost the most
// host cycles, how many exits per second fell in each bucket in each
// interval between samples, and the interval's p99.
struct LatencyCell {
    double start = 0, end = 0;  // seconds since the first sample
    unsigned bucket = 0;
    double rate = 0;  // exits per second
};

struct LatencyPanel {
    std::string title;
    std::vector<LatencyCell> cells;
    std::vector<std::pair<double, double>> p99;  // (interval's end, cycles)
};

struct LatencyPlotData {
    std::string title;
    std::uint32_t tsc_khz = 0;  // 0: the axis shows cycles
    double duration = 0;
    std::vector<LatencyPanel> panels;  // the costliest reason first
};

class NoLatency : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Throws NoLatency when the recording has no histograms to draw.
LatencyPlotData make_latency_plot_data(const Recording& recording, std::size_t top_reasons);
std::string gnuplot_latency_data(const LatencyPlotData& plot);
std::string gnuplot_latency_script(const LatencyPlotData& plot, const std::string& data_path,
                                   const std::string& output_path, PlotFormat format);

}  // namespace kvm_exitstats
