#include "kvm_exitstats/recording.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fmt/format.h>

#include "gnuplot_text.hpp"
#include "kvm_exitstats/report.hpp"
#include "kvm_exitstats/text_fields.hpp"

namespace kvm_exitstats {
namespace {

constexpr const char* header = "time_s,vm,numbering,tsc_khz,reason,name,exits,cycles";
constexpr std::size_t plain_fields = 8;
constexpr std::size_t latency_fields = plain_fields + 1 + Histogram::buckets;

std::string latency_header()
{
    std::string columns = std::string(header) + ",max_cycles";
    for (unsigned i = 0; i < Histogram::buckets; ++i)
        columns += fmt::format(",b{}", i);
    return columns;
}

// Splits one CSV line; quoted fields may hold commas and doubled quotes.
std::optional<std::vector<std::string>> csv_fields(const std::string& line)
{
    std::vector<std::string> fields(1);
    bool quoted = false;
    for (std::size_t i = 0; i < line.size(); ++i) {
        const char c = line[i];
        if (quoted && c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
            fields.back() += '"';
            ++i;
        } else if (c == '"') {
            quoted = !quoted;
        } else if (c == ',' && !quoted) {
            fields.emplace_back();
        } else {
            fields.back() += c;
        }
    }
    if (quoted)
        return std::nullopt;
    return fields;
}

class RecordingParser {
public:
    explicit RecordingParser(std::istream& in) : in_(in) {}

    Recording parse()
    {
        Recording r;
        std::string line;
        if (!next(line) || (line != header && line != latency_header()))
            fail(fmt::format("not a kvm-exitstats recording (the first line is not \"{}\" "
                             "or that with max_cycles,b0..b{})",
                             header, Histogram::buckets - 1));
        r.has_latency = line != header;
        const std::size_t width = r.has_latency ? latency_fields : plain_fields;
        std::optional<RecordedSample> current;
        bool current_has_total = false;
        while (next(line)) {
            if (line.empty())
                continue;
            const auto fields = csv_fields(line);
            if (!fields || fields->size() != width)
                fail(fmt::format("a row has {} fields, as the first line", width));
            const auto& f = *fields;
            const double time = real(f[0]);
            if (!current || time != current->time) {
                if (current)
                    finish(r, *current, current_has_total);
                if (current && time < current->time)
                    fail("the times go back");
                current = RecordedSample{};
                current->time = time;
                current_has_total = false;
            }
            if (r.samples.empty() && !seen_meta_) {
                r.vm = f[1];
                if (f[2] != "vmx" && f[2] != "svm")
                    fail("the numbering is vmx or svm");
                r.numbering = f[2] == "vmx" ? Numbering::vmx : Numbering::svm;
                r.tsc_khz = integer<std::uint32_t>(f[3]);
                seen_meta_ = true;
            }
            const Counts counts{integer<std::uint64_t>(f[6]), integer<std::uint64_t>(f[7])};
            if (f[4] == "total") {
                if (current_has_total)
                    fail("two totals at one time");
                current->total = counts;
                current_has_total = true;
                if (r.has_latency && histogram(f, counts.exits))
                    fail("the total row leaves the histogram fields empty");
            } else {
                const auto reason = integer<std::uint32_t>(f[4]);
                if (!current->reasons.emplace(reason, counts).second)
                    fail("a reason appears twice at one time");
                if (r.has_latency)
                    if (const auto h = histogram(f, counts.exits))
                        current->histograms.emplace(reason, *h);
            }
        }
        if (current)
            finish(r, *current, current_has_total);
        if (r.samples.empty())
            fail("the recording has no samples");
        return r;
    }

private:
    bool next(std::string& line)
    {
        if (!std::getline(in_, line))
            return false;
        if (!line.empty() && line.back() == '\r')
            line.pop_back();
        ++line_number_;
        return true;
    }

    void finish(Recording& r, const RecordedSample& sample, bool has_total)
    {
        if (!has_total)
            fail(fmt::format("the sample at {} s has no total row", sample.time));
        if (sum_of(sample.reasons) != sample.total)
            fail(fmt::format("the reasons at {} s do not add up to its total", sample.time));
        if (!r.samples.empty()) {
            const RecordedSample& before = r.samples.back();
            bool down = sample.total.exits < before.total.exits;
            for (const auto& [reason, c] : before.reasons) {
                const auto now = sample.reasons.find(reason);
                down = down || now == sample.reasons.end() || now->second.exits < c.exits ||
                       now->second.cycles < c.cycles;
            }
            for (const auto& [reason, h] : before.histograms) {
                const auto now = sample.histograms.find(reason);
                down = down || now == sample.histograms.end();
                for (unsigned i = 0; !down && i < Histogram::buckets; ++i)
                    down = now->second.count[i] < h.count[i];
            }
            if (down)
                fail(fmt::format("the counts go down at {} s: not one VM's recording", sample.time));
        }
        r.samples.push_back(sample);
    }

    // The row's histogram: none when its fields are empty, else one that
    // adds up to the row's exits with its maximum in its highest bucket.
    std::optional<Histogram> histogram(const std::vector<std::string>& f, std::uint64_t exits)
    {
        if (std::all_of(f.begin() + plain_fields, f.end(), [](const std::string& x) { return x.empty(); }))
            return std::nullopt;
        Histogram h;
        h.max = integer<std::uint64_t>(f[plain_fields]);
        for (unsigned i = 0; i < Histogram::buckets; ++i)
            h.count[i] = integer<std::uint64_t>(f[plain_fields + 1 + i]);
        if (h.exits() != exits)
            fail(fmt::format("the buckets hold {} exits, the row {}", h.exits(), exits));
        if (!max_in_highest_bucket(h))
            fail(fmt::format("the maximum {} is not in the highest bucket that holds exits", h.max));
        return h;
    }

    template <typename Number>
    Number integer(const std::string& text)
    {
        Number value{};
        const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
        if (text.empty() || error != std::errc() || end != text.data() + text.size())
            fail(fmt::format("\"{}\" is not a whole number", text));
        return value;
    }

    double real(const std::string& text)
    {
        std::size_t used = 0;
        double value = 0;
        try {
            value = std::stod(text, &used);
        } catch (const std::exception&) {
            used = 0;
        }
        if (text.empty() || used != text.size() || !std::isfinite(value) || value < 0)
            fail(fmt::format("\"{}\" is not a time in seconds", text));
        return value;
    }

    [[noreturn]] void fail(const std::string& why)
    {
        throw MalformedRecording(fmt::format("line {}: {}", line_number_, why));
    }

    std::istream& in_;
    unsigned line_number_ = 0;
    bool seen_meta_ = false;
};

}  // namespace

std::string recording_csv_header(bool latency)
{
    return (latency ? latency_header() : std::string(header)) + '\n';
}

std::string recording_csv_rows(const Recording& meta, const RecordedSample& sample)
{
    const std::string prefix = fmt::format("{:.3f},{},{},{}", sample.time, text::csv_field(meta.vm),
                                           numbering_name(meta.numbering), meta.tsc_khz);
    // The total is the rows' sum, so that the file always adds up.
    const std::string no_histogram = meta.has_latency ? std::string(1 + Histogram::buckets, ',') : "";
    std::string out;
    Counts total;
    for (const auto& [reason, c] : sample.reasons) {
        if (!c.exits)
            continue;
        out += fmt::format("{},{},{},{},{}", prefix, reason, text::csv_field(reason_name(meta.numbering, reason)),
                           c.exits, c.cycles);
        const auto h = sample.histograms.find(reason);
        if (!meta.has_latency || h == sample.histograms.end()) {
            out += no_histogram;
        } else {
            out += fmt::format(",{}", h->second.max);
            for (std::uint64_t n : h->second.count)
                out += fmt::format(",{}", n);
        }
        out += '\n';
        total += c;
    }
    return out + fmt::format("{},total,all reasons,{},{}{}\n", prefix, total.exits, total.cycles, no_histogram);
}

Recording parse_recording(std::istream& csv)
{
    return RecordingParser(csv).parse();
}

PlotData make_plot_data(const Recording& r, std::size_t top_reasons)
{
    PlotData plot;
    const RecordedSample& last = r.samples.back();
    plot.total = last.total;
    plot.duration = last.time - r.samples.front().time;

    std::vector<std::pair<std::uint32_t, std::uint64_t>> ranked;
    for (const auto& [reason, c] : last.reasons)
        ranked.emplace_back(reason, c.exits);
    std::stable_sort(ranked.begin(), ranked.end(),
                     [](const auto& a, const auto& b) { return a.second > b.second; });
    if (ranked.size() > top_reasons)
        ranked.resize(top_reasons);
    std::uint64_t shown = 0;
    for (const auto& [reason, exits] : ranked) {
        plot.series.push_back({reason_label(r.numbering, reason), exits});
        shown += exits;
    }
    const bool other = last.reasons.size() > ranked.size();
    if (other)
        plot.series.push_back({"other", last.total.exits - shown});

    auto exits_of = [](const RecordedSample& s, std::uint32_t reason) -> std::uint64_t {
        const auto it = s.reasons.find(reason);
        return it == s.reasons.end() ? 0 : it->second.exits;
    };
    for (std::size_t i = 1; i < r.samples.size(); ++i) {
        const RecordedSample &before = r.samples[i - 1], &now = r.samples[i];
        const double seconds = now.time - before.time;
        if (seconds <= 0)
            continue;
        PlotPoint point;
        point.time = now.time - r.samples.front().time;
        point.running_total = now.total.exits;
        std::uint64_t top_delta = 0;
        for (const auto& [reason, exits] : ranked) {
            const std::uint64_t delta = exits_of(now, reason) - exits_of(before, reason);
            top_delta += delta;
            point.rates.push_back(static_cast<double>(delta) / seconds);
        }
        if (other)
            point.rates.push_back(static_cast<double>(now.total.exits - before.total.exits - top_delta) /
                                  seconds);
        plot.points.push_back(std::move(point));
    }

    const auto host_seconds = cycles_to_seconds(HostInfo{0, r.numbering, Scope::vm, 0, r.tsc_khz},
                                                plot.total.cycles);
    plot.title = fmt::format("{}: {} VM exits, {} in {:.1f} s", r.vm.empty() ? "Recorded in the guest" : "VM " + r.vm,
                             text::grouped(plot.total.exits),
                             host_seconds ? (*host_seconds < 1 ? fmt::format("{:.2f} ms of host time", *host_seconds * 1e3)
                                                               : fmt::format("{:.3f} s of host time", *host_seconds))
                                          : fmt::format("{} host cycles", text::grouped(plot.total.cycles)),
                             plot.duration);
    return plot;
}

std::string gnuplot_data(const PlotData& plot)
{
    std::string out = "# time stacked-series... running-total\n";
    for (const PlotPoint& p : plot.points) {
        out += fmt::format("{:.3f}", p.time);
        double stacked = 0;
        for (double rate : p.rates) {
            stacked += rate;
            out += fmt::format(" {:.3f}", stacked);
        }
        out += fmt::format(" {}\n", p.running_total);
    }
    return out;
}

std::string gnuplot_script(const PlotData& plot, const std::string& data_path,
                           const std::string& output_path, PlotFormat format)
{
    static const char* const colours[] = {"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
                                          "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"};
    std::string s;
    s += gnuplot_terminal(format, 1100, 660, output_path);
    s += "set title " + gnuplot_string(plot.title) + "\n";
    s += "set xlabel 'seconds since the first sample'\n"
         "set ylabel 'VM exits per second (stacked)'\n"
         "set y2label 'VM exits so far'\n"
         "set ytics nomirror\nset y2tics\nset yrange [0:*]\nset y2range [0:*]\n"
         "set format y '%.0f'\nset format y2 '%.0f'\n"
         "set grid\nset key outside below center horizontal\nset style fill solid 0.85 noborder\n";
    if (plot.points.empty()) {
        s += "set label 1 'one sample only: no rates to draw' at graph 0.5, graph 0.5 center\n"
             "set xrange [0:1]\nplot NaN title " +
             gnuplot_string("all exits: " + text::grouped(plot.total.exits)) + "\n";
        return s;
    }
    std::string clauses;
    // The top of the stack first, so that each lower series is drawn over it.
    for (std::size_t i = plot.series.size(); i-- > 0;) {
        const PlotSeries& series = plot.series[i];
        clauses += fmt::format("{}{} using 1:{} with filledcurves x1 lc rgb '{}' title {}",
                               clauses.empty() ? "" : ", \\\n     ", gnuplot_string(data_path), i + 2,
                               colours[i % std::size(colours)],
                               gnuplot_string(fmt::format("{}: {} exits", series.title,
                                                          text::grouped(series.exits))));
    }
    clauses += fmt::format(", \\\n     {} using 1:{} axes x1y2 with lines lw 2 lc rgb '#000000' title {}",
                           gnuplot_string(data_path), plot.series.size() + 2,
                           gnuplot_string(fmt::format("all exits so far (right axis): {}",
                                                      text::grouped(plot.total.exits))));
    return s + "plot " + clauses + "\n";
}

}  // namespace kvm_exitstats
