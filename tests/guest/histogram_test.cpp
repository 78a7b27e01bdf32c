#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>

#include "kvm_exitstats/formats.hpp"
#include "kvm_exitstats/histogram.hpp"
#include "kvm_exitstats/host_view.hpp"
#include "kvm_exitstats/vcpu_view.hpp"
#include "kvm_exitstats/vm_file.hpp"

using namespace kvm_exitstats;

namespace {

// Two vCPUs; I/O exits of 1,000 to 2,047 cycles (bucket 11) and one slow
// one in bucket 20; page faults in buckets 14 and 15.
const char* const with_histograms =
    "kvm-exitstats-vm 1\nstatistics on\nnumbering svm\ntsc_khz 1000000\nvcpus 2\n"
    "total 1300 5500000\nreason 0x7b 300 2500000\nreason 0x400 1000 3000000\n"
    "buckets 36\nhist 0x7b 600000 11:299 20:1\nhist 0x400 20000 14:900 15:100\n"
    "vcpu 0 1200 5000000\nvcpu_reason 0 0x7b 290 2400000\nvcpu_reason 0 0x400 910 2600000\n"
    "vcpu 1 100 500000\nvcpu_reason 1 0x7b 10 100000\nvcpu_reason 1 0x400 90 400000\n";

Histogram of(std::initializer_list<std::pair<unsigned, std::uint64_t>> buckets, std::uint64_t max)
{
    Histogram h;
    for (auto [bucket, n] : buckets)
        h.count[bucket] = n;
    h.max = max;
    return h;
}

}  // namespace

BOOST_AUTO_TEST_CASE(buckets_follow_kvm_loghist)
{
    BOOST_TEST(bucket_of(0) == 0u);
    BOOST_TEST(bucket_of(1) == 1u);
    BOOST_TEST(bucket_of(2) == 2u);
    BOOST_TEST(bucket_of(3) == 2u);
    BOOST_TEST(bucket_of(1024) == 11u);
    BOOST_TEST(bucket_of(2047) == 11u);
    BOOST_TEST(bucket_of(std::uint64_t{1} << 40) == 35u);
    for (unsigned i = 1; i + 1 < Histogram::buckets; ++i) {
        BOOST_TEST(bucket_of(bucket_low(i)) == i);
        BOOST_TEST(bucket_of(bucket_high(i)) == i);
        BOOST_TEST(bucket_high(i) + 1 == bucket_low(i + 1));
    }
}

BOOST_AUTO_TEST_CASE(quantiles_interpolate_inside_their_bucket_and_stay_under_the_maximum)
{
    // 100 exits in bucket 11 (1024..2047): the median is half way through it.
    const Histogram h = of({{11, 100}}, 2047);
    BOOST_TEST(*quantile(h, 0.5) == 1024 + 1023 * 0.5);
    BOOST_TEST(*quantile(h, 1.0) == 2047.0);
    // The maximum bounds the last bucket: 1,500 is the longest exit.
    BOOST_TEST(*quantile(of({{11, 100}}, 1500), 1.0) == 1500.0);
    // 99 fast exits and one slow: p99 is still among the fast ones, p100 the slow one.
    const Histogram tail = of({{11, 99}, {20, 1}}, 600000);
    BOOST_TEST(*quantile(tail, 0.99) <= 2047.0);
    BOOST_TEST(*quantile(tail, 1.0) == 600000.0);
    BOOST_TEST(!quantile(Histogram{}, 0.5).has_value());
}

BOOST_AUTO_TEST_CASE(removing_exits_takes_exactly_that_many_in_proportion)
{
    const Histogram h = of({{9, 90}, {12, 10}}, 4000);
    const Histogram left = remove_exits(h, 10);
    BOOST_TEST(left.exits() == 90u);
    BOOST_TEST(left.count[9] == 81u);
    BOOST_TEST(left.count[12] == 9u);
    // Remainders: 3 of 7 + 3 + 1 exits go 1.29, 1.29, 0.43 -> the two largest first.
    const Histogram odd = remove_exits(of({{1, 3}, {2, 3}, {3, 1}}, 7), 3);
    BOOST_TEST(odd.exits() == 4u);
    BOOST_TEST(remove_exits(h, 500).exits() == 0u);
}

BOOST_AUTO_TEST_CASE(a_window_is_the_difference_of_the_buckets)
{
    const Histogram before = of({{11, 10}}, 1500);
    const Histogram after = of({{11, 15}, {14, 2}}, 9000);
    const Histogram window = subtract(after, before);
    BOOST_TEST(window.count[11] == 5u);
    BOOST_TEST(window.count[14] == 2u);
    BOOST_TEST(window.exits() == 7u);
    BOOST_TEST(subtract(before, before).empty());
}

BOOST_AUTO_TEST_CASE(the_host_file_carries_histograms_and_vcpus)
{
    const VmFile f = parse_vm_file(with_histograms);
    BOOST_TEST(f.histograms.size() == 2u);
    BOOST_TEST(f.histograms.at(0x7b).count[11] == 299u);
    BOOST_TEST(f.histograms.at(0x7b).max == 600000u);
    BOOST_TEST(f.histograms.at(0x400).exits() == 1000u);
    BOOST_TEST(f.vcpu_counts.size() == 2u);
    BOOST_TEST(f.vcpu_counts[1].id == 1u);
    BOOST_TEST(f.vcpu_counts[1].reasons.at(0x400).exits == 90u);
    BOOST_TEST(f.vcpu_counts[0].total.cycles == 5000000u);
}

BOOST_AUTO_TEST_CASE(histograms_that_disagree_with_their_reason_are_refused)
{
    const std::string head = "kvm-exitstats-vm 1\nstatistics on\nnumbering svm\ntsc_khz 1\nvcpus 1\n"
                             "total 10 100\nreason 0x7b 10 100\nbuckets 36\n";
    for (const char* bad : {"hist 0x7b 9 3:9\n",         // 9 exits in the buckets, 10 in the reason
                            "hist 0x7b 100 3:10\n",      // the maximum 100 is in bucket 7
                            "hist 0x7b 9 3:5 2:5\n",     // buckets out of order
                            "hist 0x7b 9 36:10\n",       // no bucket 36
                            "hist 0x7b 9 3\n"}) {        // no count
        BOOST_CHECK_THROW(parse_vm_file(head + bad), MalformedVmFile);
    }
    BOOST_CHECK_THROW(parse_vm_file("kvm-exitstats-vm 1\nstatistics on\nnumbering svm\nvcpus 1\ntotal 0 0\n"
                                    "buckets 40\n"),
                      MalformedVmFile);
    BOOST_CHECK_THROW(parse_vm_file(head + "vcpu_reason 0 0x7b 10 100\n"), MalformedVmFile);
    BOOST_CHECK_NO_THROW(parse_vm_file(head + "hist 0x7b 9 3:4 4:6\n"));
}

BOOST_AUTO_TEST_CASE(the_host_table_shows_the_tail_of_the_costliest_reasons)
{
    const VmFile f = parse_vm_file(with_histograms);
    const HostView view = make_host_view({}, {{{7, "7-11", "guest"}, f}}, 0);
    const std::string table = format_host_table(view, 2);
    // At 1 GHz: the I/O exits' p99 is inside bucket 11 (1.0-2.0 µs).
    BOOST_TEST(table.find("io 45% p99 2.0µs") != std::string::npos, table);
    // p99 is 90% into bucket 15, which the maximum 20,000 ends: 16,384 + 0.9 * 3,616.
    BOOST_TEST(table.find("npf 55% p99 19.6µs") != std::string::npos, table);
}

BOOST_AUTO_TEST_CASE(a_window_p99_comes_from_the_window_s_exits_only)
{
    const VmFile before = parse_vm_file(with_histograms);
    VmFile after = before;
    after.histograms.at(0x7b).count[20] += 100;
    after.reasons.at(0x7b).exits += 100;
    after.reasons.at(0x7b).cycles += 60000000;
    after.total.exits += 100;
    after.total.cycles += 60000000;
    const HostView view = make_host_view({{{7, "7-11", "guest"}, before}}, {{{7, "7-11", "guest"}, after}}, 1.0);
    BOOST_TEST(view.rows[0].window_histograms.at(0x7b).exits() == 100u);
    BOOST_TEST(format_host_table(view, 1).find("io 100% p99 59") != std::string::npos, format_host_table(view, 1));
}

BOOST_AUTO_TEST_CASE(the_vcpus_side_by_side)
{
    const VmFile f = parse_vm_file(with_histograms);
    const std::string table = format_vcpu_table(f, "VM guest", 2);
    BOOST_TEST(table.find("    0          1,200  92.3%          5,000,000  90.9%  npf 52%, io 48%") !=
                   std::string::npos,
               table);
    BOOST_TEST(table.find("    1            100   7.7%            500,000   9.1%  npf 80%, io 20%") !=
                   std::string::npos,
               table);
    const auto doc = nlohmann::json::parse(format_vcpu_json(f));
    BOOST_TEST(doc["vcpus"].size() == 2u);
    BOOST_TEST(doc["vcpus"][1]["reasons"][1]["exits"] == 90);
    BOOST_TEST(format_vcpu_table(parse_vm_file("kvm-exitstats-vm 1\nstatistics off\n"), "VM x", 2).empty());
}

BOOST_AUTO_TEST_CASE(reports_show_percentiles_and_every_bucket)
{
    const Report report = make_report(parse_vm_file(with_histograms));
    const std::string table = format_table(report, {});
    BOOST_TEST(table.find("p99") != std::string::npos, table);
    const auto doc = nlohmann::json::parse(format_json(report));
    const auto& io = doc["reasons"][1];
    BOOST_TEST(io["name"] == "io");
    BOOST_TEST(io["latency"]["buckets"][11] == 299);
    BOOST_TEST(io["latency"]["max_cycles"] == 600000);
    const std::string csv = format_csv(report);
    BOOST_TEST(csv.find(",max_cycles,b0,b1,") != std::string::npos, csv);
    BOOST_TEST(csv.find("123,io,300,0.230769,2500000,8333.3,600000,0,0,0,0,0,0,0,0,0,0,0,299,") != std::string::npos,
               csv);
    // Without histograms (modules before 0.4.0) the outputs are as before.
    VmFile old = parse_vm_file(with_histograms);
    old.histograms.clear();
    BOOST_TEST(format_csv(make_report(old)).find("max_cycles") == std::string::npos);
    BOOST_TEST(format_table(make_report(old), {}).find("p99") == std::string::npos);
}
