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

#include "kvm_exitstats/reader.hpp"

namespace kvm_exitstats {

// Cumulative counts at one moment (seconds since the first sample).
struct RecordedSample {
    double time = 0;
    Counts total;
    std::map<std::uint32_t, Counts> reasons;
};

struct Recording {
    std::string vm;  // "" when the guest recorded itself
    Numbering numbering = Numbering::vmx;
    std::uint32_t tsc_khz = 0;
    std::vector<RecordedSample> samples;
};

class MalformedRecording : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// CSV: time_s,vm,numbering,tsc_khz,reason,name,exits,cycles; one row per
// reason with exits and one "total" row per sample.
std::string recording_csv_header();
std::string recording_csv_rows(const Recording& meta, const RecordedSample& sample);

// Throws MalformedRecording, naming the line, for anything else, and for
// counts that go down or reasons that do not add up to their total.
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

}  // namespace kvm_exitstats
