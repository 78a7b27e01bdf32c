#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>

#include "kvm_exitstats/formats.hpp"
#include "model_hypervisor.hpp"

using namespace kvm_exitstats;
using model::ModelHypervisor;

namespace {

Report model_report(Numbering numbering)
{
    ModelHypervisor host(numbering);
    const std::uint32_t io = numbering == Numbering::vmx ? 30 : 0x7b;
    host.add_exits(io, 300, 2500);
    host.add_exits(numbering == Numbering::vmx ? 48 : 0x400, 1200, 5000);
    ExitStatsReader reader(host);
    return make_report(reader.snapshot());
}

std::vector<std::string> lines_of(const std::string& text)
{
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);)
        lines.push_back(line);
    return lines;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(formats)

BOOST_AUTO_TEST_CASE(json_parses_back_and_reasons_sum_to_the_total)
{
    for (Numbering numbering : {Numbering::vmx, Numbering::svm}) {
        const Report report = model_report(numbering);
        const auto doc = nlohmann::json::parse(format_json(report));
        BOOST_TEST(doc.at("interface_version").get<int>() == 2);
        BOOST_TEST(doc.at("numbering").get<std::string>() == std::string(numbering_name(numbering)));
        BOOST_TEST(doc.at("scope").get<std::string>() == "vm");
        std::uint64_t exits = 0, cycles = 0;
        for (const auto& reason : doc.at("reasons")) {
            exits += reason.at("exits").get<std::uint64_t>();
            cycles += reason.at("cycles").get<std::uint64_t>();
            BOOST_TEST(!reason.at("name").get<std::string>().empty());
        }
        BOOST_TEST(exits == doc.at("total").at("exits").get<std::uint64_t>());
        BOOST_TEST(cycles == doc.at("total").at("cycles").get<std::uint64_t>());
        BOOST_TEST(doc.at("reasons").size() == report.rows.size());
        BOOST_TEST(doc.at("reasons")[0].at("exits").get<std::uint64_t>() == 1200u);
    }
}

BOOST_AUTO_TEST_CASE(json_of_a_window_has_rates)
{
    Delta d;
    d.info.tsc_khz = 1000;
    d.total = {10, 1000};
    d.reasons[30] = {10, 1000};
    d.own_exits = 7;
    const auto doc = nlohmann::json::parse(format_json(make_report(d, 2.0)));
    BOOST_TEST(doc.at("window_seconds").get<double>() == 2.0);
    BOOST_TEST(doc.at("own_exits_removed").get<int>() == 7);
    BOOST_TEST(doc.at("reasons")[0].at("exits_per_second").get<double>() == 5.0);
    BOOST_TEST(doc.at("total").at("host_seconds").get<double>() == 0.001);
    BOOST_TEST(nlohmann::json::parse(format_json_line(make_report(d, 2.0))) == doc);
    BOOST_TEST(format_json_line(make_report(d, 2.0)).find('\n') ==
               format_json_line(make_report(d, 2.0)).size() - 1);
}

BOOST_AUTO_TEST_CASE(csv_has_one_row_per_reason_and_a_total)
{
    const Report report = model_report(Numbering::svm);
    const auto lines = lines_of(format_csv(report));
    BOOST_TEST(lines.front().rfind("reason,name,exits,share,cycles,avg_cycles,max_cycles,b0,b1,", 0) == 0u);
    BOOST_TEST(lines.front().substr(lines.front().size() - 8) == ",b34,b35");
    BOOST_TEST(lines.size() == report.rows.size() + 2);
    BOOST_TEST(lines[1] == "1024,npf,1200," + lines[1].substr(lines[1].find(',', 9) + 1));
    BOOST_TEST(lines.back().rfind("total,all reasons,", 0) == 0u);
    // Reasons with exits have a maximum and 36 buckets; the others, empty fields.
    const std::regex row(R"(^[0-9a-z]+,("[^"]*"|[^,"]*),[0-9]+,[0-9.]+,[0-9]+,[0-9.]+((,[0-9]+){37}|,{37})$)");
    for (std::size_t i = 1; i < lines.size(); ++i)
        BOOST_TEST(std::regex_match(lines[i], row), lines[i]);
    BOOST_TEST(format_csv(report).find("DB excp") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(prometheus_follows_the_exposition_format)
{
    const Report report = model_report(Numbering::vmx);
    const std::regex sample(
        R"(^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[a-zA-Z_][a-zA-Z0-9_]*="(\\.|[^"\\])*"(,[a-zA-Z_][a-zA-Z0-9_]*="(\\.|[^"\\])*")*\})? [0-9][0-9.e+-]*$)");
    const std::regex help(R"(^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) .+$)");
    const std::regex type(R"(^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram)$)");
    std::set<std::string> typed;
    std::string current, current_type;
    std::size_t samples = 0;
    std::smatch m;
    for (const std::string& line : lines_of(format_prometheus(report))) {
        if (std::regex_match(line, m, help)) {
            continue;
        } else if (std::regex_match(line, m, type)) {
            BOOST_TEST(typed.insert(m[1]).second, "TYPE given twice: " << line);
            current = m[1];
            current_type = m[2];
            if (m[2] == "counter")
                BOOST_TEST((current.size() > 6 && current.substr(current.size() - 6) == "_total"));
        } else {
            BOOST_TEST_REQUIRE(std::regex_match(line, m, sample), "not a sample: " << line);
            const bool in_histogram = current_type == "histogram" &&
                                      (m[1] == current + "_bucket" || m[1] == current + "_sum" ||
                                       m[1] == current + "_count");
            BOOST_TEST((m[1] == current || in_histogram), "sample outside its family: " << line);
            ++samples;
        }
    }
    // A histogram has 36 buckets, a sum and a count for each reason with exits.
    const auto with_latency = static_cast<std::size_t>(
        std::count_if(report.rows.begin(), report.rows.end(), [](const ReasonRow& r) { return r.latency.has_value(); }));
    BOOST_TEST(with_latency == 3u);  // I/O, EPT violations and the reader's own CPUIDs
    BOOST_TEST(samples == 2 * report.rows.size() + 4 + with_latency * (36 + 2));
    BOOST_TEST(format_prometheus(report).find(
                   "kvm_exitstats_exits_total{numbering=\"vmx\",reason=\"EPT_VIOLATION\",code=\"48\"} 1200") !=
               std::string::npos);
}

BOOST_AUTO_TEST_CASE(table_hides_reasons_without_exits_unless_asked)
{
    const Report report = model_report(Numbering::vmx);
    const std::string brief = format_table(report, {false});
    const std::string full = format_table(report, {true});
    BOOST_TEST(brief.find("EPT_VIOLATION (48)") != std::string::npos);
    BOOST_TEST(brief.find("TRIPLE_FAULT") == std::string::npos);
    BOOST_TEST(brief.find("--all shows them") != std::string::npos);
    BOOST_TEST(full.find("TRIPLE_FAULT (2)") != std::string::npos);
    BOOST_TEST(brief.find("Intel VMX host, TSC 2000.000 MHz") != std::string::npos);
    // Rows come by exits, most first.
    BOOST_TEST(brief.find("EPT_VIOLATION") < brief.find("IO_INSTRUCTION"));
}

BOOST_AUTO_TEST_CASE(rate_line_shows_the_top_reasons)
{
    Delta d;
    d.total = {30, 300};
    d.reasons[30] = {20, 200};
    d.reasons[48] = {10, 100};
    const std::string line = format_rate_line(make_report(d, 2.0), 1);
    BOOST_TEST(line == "exits/s 15.0 cycles/s 150 IO_INSTRUCTION=10.0\n");
}

BOOST_AUTO_TEST_SUITE_END()
