#include <boost/test/unit_test.hpp>
#include <regex>
#include <sstream>

#include "expect_refused.hpp"
#include "kvm_exitstats/recording.hpp"

using namespace kvm_exitstats;

namespace {

RecordedSample at(double time, std::map<std::uint32_t, Counts> reasons)
{
    RecordedSample s;
    s.time = time;
    s.reasons = std::move(reasons);
    for (const auto& [reason, c] : s.reasons) {
        s.total.exits += c.exits;
        s.total.cycles += c.cycles;
    }
    return s;
}

// A boot: hlt grows fast, io and cpuid a little, npf once.
Recording boot()
{
    Recording r;
    r.vm = "guest, \"one\"";
    r.numbering = Numbering::svm;
    r.tsc_khz = 1000000;
    r.samples = {at(0, {}), at(0.1, {{0x72, {5, 500}}, {0x7b, {10, 3000}}}),
                 at(0.2, {{0x72, {7, 700}}, {0x7b, {30, 9000}}, {0x78, {100, 1000}}}),
                 at(0.3, {{0x72, {7, 700}}, {0x7b, {31, 9300}}, {0x78, {300, 3000}}, {0x400, {1, 100000}}})};
    return r;
}

Histogram histogram(std::map<unsigned, std::uint64_t> buckets, std::uint64_t max)
{
    Histogram h;
    for (const auto& [bucket, n] : buckets)
        h.count[bucket] = n;
    h.max = max;
    return h;
}

// The boot with latency: io's exits cost 256-511 cycles, then some of them
// 4096-8191; hlt's 8-15; npf (0x400) has no histogram.
Recording boot_with_latency()
{
    Recording r = boot();
    r.has_latency = true;
    r.samples[1].histograms = {{0x7b, histogram({{9, 10}}, 300)}, {0x72, histogram({{7, 5}}, 100)}};
    r.samples[2].histograms = {{0x7b, histogram({{9, 20}, {13, 10}}, 5000)},
                               {0x72, histogram({{7, 7}}, 100)},
                               {0x78, histogram({{4, 100}}, 10)}};
    r.samples[3].histograms = {{0x7b, histogram({{9, 21}, {13, 10}}, 5000)},
                               {0x72, histogram({{7, 7}}, 100)},
                               {0x78, histogram({{4, 300}}, 12)}};
    return r;
}

std::string csv_of(const Recording& r)
{
    std::string csv = recording_csv_header(r.has_latency);
    for (const RecordedSample& s : r.samples)
        csv += recording_csv_rows(r, s);
    return csv;
}

Recording parse(const std::string& text)
{
    std::istringstream in(text);
    return parse_recording(in);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(recording)

BOOST_AUTO_TEST_CASE(csv_round_trip)
{
    const Recording r = parse(csv_of(boot()));
    BOOST_TEST(r.vm == "guest, \"one\"");
    BOOST_TEST((r.numbering == Numbering::svm));
    BOOST_TEST(r.tsc_khz == 1000000u);
    BOOST_REQUIRE(r.samples.size() == 4u);
    BOOST_TEST(r.samples[0].total.exits == 0u);
    BOOST_TEST(r.samples[3].reasons.at(0x400).cycles == 100000u);
    BOOST_TEST(r.samples[3].total.exits == 339u);
    BOOST_TEST(r.samples[2].time == 0.2);
}

BOOST_AUTO_TEST_CASE(malformed_recordings_name_their_line)
{
    const std::string good = csv_of(boot());
    const std::string header = recording_csv_header();
    const std::pair<std::string, std::string> cases[] = {
        {"", "line 0: not a kvm-exitstats recording"},
        {"time,exits\n", "line 1: not a kvm-exitstats recording"},
        {header, "no samples"},
        {header + "0.000,vm,svm,1000,total,all reasons,5\n", "line 2: a row has 8 fields"},
        {header + "0.000,vm,svm,1000,123,io,5,7\n", "has no total row"},
        {header + "0.000,vm,svm,1000,123,io,5,7\n0.000,vm,svm,1000,total,all reasons,6,7\n", "do not add up"},
        {header + "x,vm,svm,1000,total,all reasons,0,0\n", "\"x\" is not a time"},
        {header + "0.000,vm,arm,1000,total,all reasons,0,0\n", "numbering is vmx or svm"},
        {header + "0.000,vm,svm,1000,total,all reasons,-1,0\n", "\"-1\" is not a whole number"},
        {header + "0.000,\"vm,svm,1000,total,all reasons,0,0\n", "8 fields"},
        {header + "0.100,vm,svm,1000,total,all reasons,0,0\n0.000,vm,svm,1000,total,all reasons,0,0\n",
         "line 3: the times go back"},
        {header + "0.000,vm,svm,1000,123,io,5,7\n0.000,vm,svm,1000,total,all reasons,5,7\n"
                  "0.100,vm,svm,1000,123,io,4,7\n0.100,vm,svm,1000,total,all reasons,4,7\n",
         "the counts go down at 0.1 s"},
    };
    for (const auto& [text, expected] : cases)
        expect_refused<MalformedRecording>(parse, text, expected);
}

BOOST_AUTO_TEST_CASE(the_series_add_up_to_the_total)
{
    const PlotData plot = make_plot_data(boot(), 2);
    BOOST_REQUIRE(plot.series.size() == 3u);
    BOOST_TEST(plot.series[0].title == "hlt (0x78)");
    BOOST_TEST(plot.series[0].exits == 300u);
    BOOST_TEST(plot.series[1].title == "io (0x7b)");
    BOOST_TEST(plot.series[2].title == "other");
    BOOST_TEST(plot.series[2].exits == 8u);  // cpuid 7 + npf 1
    std::uint64_t sum = 0;
    for (const PlotSeries& s : plot.series)
        sum += s.exits;
    BOOST_TEST(sum == plot.total.exits);
    BOOST_TEST(plot.title == "VM guest, \"one\": 339 VM exits, 0.11 ms of host time in 0.3 s");

    BOOST_REQUIRE(plot.points.size() == 3u);
    BOOST_TEST(plot.points[1].rates[0] == 1000.0, boost::test_tools::tolerance(1e-9));  // hlt 100 in 0.1 s
    BOOST_TEST(plot.points[1].rates[1] == 200.0, boost::test_tools::tolerance(1e-9));
    BOOST_TEST(plot.points[1].rates[2] == 20.0, boost::test_tools::tolerance(1e-9));   // cpuid 2
    BOOST_TEST(plot.points[2].running_total == 339u);
}

BOOST_AUTO_TEST_CASE(the_data_is_stacked_and_the_script_names_every_series)
{
    const PlotData plot = make_plot_data(boot(), 2);
    std::istringstream data(gnuplot_data(plot));
    std::string comment, line;
    std::getline(data, comment);
    std::getline(data, line);
    BOOST_TEST(line == "0.100 0.000 100.000 150.000 15");
    const std::string script = gnuplot_script(plot, "/tmp/d", "/tmp/out.svg", PlotFormat::svg);
    BOOST_TEST(script.find("set terminal svg") != std::string::npos);
    BOOST_TEST(script.find("set output \"/tmp/out.svg\"") != std::string::npos);
    BOOST_TEST(script.find("set title \"VM guest, \\\"one\\\": 339 VM exits") != std::string::npos, script);
    BOOST_TEST(script.find("using 1:4 with filledcurves x1 lc rgb '#e15759' title \"other: 8 exits\"") !=
                   std::string::npos,
               script);
    BOOST_TEST(script.find("using 1:5 axes x1y2 with lines") != std::string::npos, script);
    BOOST_TEST(gnuplot_script(plot, "d", "o.png", PlotFormat::png).find("pngcairo") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(one_sample_draws_no_rates)
{
    Recording r = boot();
    r.samples.resize(1);
    const PlotData plot = make_plot_data(r, 5);
    BOOST_TEST(plot.points.empty());
    BOOST_TEST(gnuplot_script(plot, "d", "o.svg", PlotFormat::svg).find("one sample only") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(latency_round_trip)
{
    const Recording original = boot_with_latency();
    const std::string csv = csv_of(original);
    BOOST_TEST(csv.substr(0, csv.find('\n')).find(",max_cycles,b0,b1,") != std::string::npos);
    BOOST_TEST(csv.find("0.300,\"guest, \"\"one\"\"\",svm,1000000,total,all reasons,339,113000" +
                        std::string(37, ',') + "\n") != std::string::npos,
               csv);
    const Recording r = parse(csv);
    BOOST_TEST(r.has_latency);
    BOOST_REQUIRE(r.samples.size() == 4u);
    for (std::size_t i = 0; i < r.samples.size(); ++i)
        BOOST_TEST((r.samples[i].histograms == original.samples[i].histograms));
    BOOST_TEST(r.samples[3].histograms.count(0x400) == 0u);  // npf: no histogram, still a row
    BOOST_TEST(r.samples[3].reasons.at(0x400).exits == 1u);
    BOOST_TEST(!parse(csv_of(boot())).has_latency);
}

BOOST_AUTO_TEST_CASE(latency_rows_must_add_up)
{
    const std::string header = recording_csv_header(true);
    auto row = [](const std::string& reason, const std::string& counts, const std::string& histogram) {
        return "0.000,vm,svm,1000," + reason + "," + counts + "," + histogram + "\n";
    };
    auto buckets = [](unsigned bucket, unsigned n, const std::string& max) {
        std::string out = max;
        for (unsigned i = 0; i < Histogram::buckets; ++i)
            out += "," + std::to_string(i == bucket ? n : 0);
        return out;
    };
    const std::string none(36, ',');
    const std::string total = row("total", "all reasons,5,7", none);
    const std::pair<std::string, std::string> cases[] = {
        {header + row("123", "io,5,7", buckets(3, 4, "6")) + total, "the buckets hold 4 exits, the row 5"},
        {header + row("123", "io,5,7", buckets(3, 5, "9")) + total, "the maximum 9 is not in the highest bucket"},
        {header + row("123", "io,5,7", buckets(3, 5, "6")) + row("total", "all reasons,5,7", buckets(3, 5, "6")),
         "the total row leaves the histogram fields empty"},
        {header + row("123", "io,5,7", buckets(3, 5, "6")) + total +
             "0.100,vm,svm,1000,123,io,5,7," + buckets(2, 5, "3") + "\n0.100,vm,svm,1000,total,all reasons,5,7," +
             none + "\n",
         "the counts go down at 0.1 s"},
        {header + "0.000,vm,svm,1000,123,io,5,7\n", "a row has 45 fields"},
    };
    for (const auto& [text, expected] : cases)
        expect_refused<MalformedRecording>(parse, text, expected);
    BOOST_CHECK_NO_THROW(parse(header + row("123", "io,5,7", buckets(3, 5, "6")) + total));
}

BOOST_AUTO_TEST_CASE(latency_panels_show_the_costliest_reasons_over_time)
{
    const LatencyPlotData plot = make_latency_plot_data(boot_with_latency(), 2);
    // Cycles: io 9,300, cpuid 700, hlt 3,000, npf 100,000 (no histogram).
    BOOST_REQUIRE(plot.panels.size() == 2u);
    BOOST_TEST(plot.panels[0].title.rfind("io (0x7b): 31 exits, p50 ", 0) == 0u, plot.panels[0].title);
    BOOST_TEST(plot.panels[0].title.find("max 5.0µs") != std::string::npos, plot.panels[0].title);
    BOOST_TEST(plot.panels[1].title.rfind("hlt (0x78): 300 exits", 0) == 0u, plot.panels[1].title);
    // io: 10 in bucket 9 in the first interval, then 10 more there and 10 in bucket 13, then 1.
    const auto& cells = plot.panels[0].cells;
    BOOST_REQUIRE(cells.size() == 4u);
    BOOST_TEST(cells[0].start == 0.0);
    BOOST_TEST(cells[0].end == 0.1);
    BOOST_TEST(cells[0].bucket == 9u);
    BOOST_TEST(cells[0].rate == 100.0, boost::test_tools::tolerance(1e-9));
    BOOST_TEST(cells[2].bucket == 13u);
    BOOST_TEST(cells[2].rate == 100.0, boost::test_tools::tolerance(1e-9));
    BOOST_TEST(cells[3].rate == 10.0, boost::test_tools::tolerance(1e-9));
    BOOST_REQUIRE(plot.panels[0].p99.size() == 3u);
    BOOST_TEST(plot.panels[0].p99[1].second > 4096.0);  // the slow half of the second interval
    BOOST_TEST(plot.panels[0].p99[0].second <= 300.0);  // never above the maximum
    BOOST_TEST(plot.title == "VM guest, \"one\": how long its VM exits took, over 0.3 s (the 2 reasons that "
                             "cost the most host time)");

    std::istringstream data(gnuplot_latency_data(plot));
    std::string comment, line;
    std::getline(data, comment);
    std::getline(data, line);
    BOOST_TEST(line == "0.000 0.100 0.256 0.512 100");  // 256-511 cycles at 1 GHz, in µs
    const std::string script = gnuplot_latency_script(plot, "/tmp/d", "/tmp/out.svg", PlotFormat::svg);
    BOOST_TEST(script.find("set multiplot layout 2,1") != std::string::npos, script);
    BOOST_TEST(script.find("index 1 using (($1+$2)/2)") != std::string::npos, script);
    BOOST_TEST(script.find("index 3 using 1:2 with points") != std::string::npos, script);
    BOOST_TEST(script.find("set ylabel 'µs per exit'") != std::string::npos, script);
}

BOOST_AUTO_TEST_CASE(latency_needs_histograms)
{
    BOOST_CHECK_THROW(make_latency_plot_data(boot(), 4), NoLatency);
    Recording one = boot_with_latency();
    one.samples.resize(1);
    BOOST_CHECK_THROW(make_latency_plot_data(one, 4), NoLatency);
}

BOOST_AUTO_TEST_SUITE_END()
