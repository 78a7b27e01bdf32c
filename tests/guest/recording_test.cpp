#include <boost/test/unit_test.hpp>
#include <regex>
#include <sstream>

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

std::string csv_of(const Recording& r)
{
    std::string csv = recording_csv_header();
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
    for (const auto& [text, expected] : cases) {
        BOOST_TEST_CONTEXT(text)
        {
            try {
                parse(text);
                BOOST_ERROR("parsed");
            } catch (const MalformedRecording& e) {
                BOOST_TEST(std::string(e.what()).find(expected) != std::string::npos, e.what());
            }
        }
    }
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

BOOST_AUTO_TEST_SUITE_END()
