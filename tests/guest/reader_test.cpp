#include <boost/test/unit_test.hpp>

#include "kvm_exitstats/reader.hpp"
#include "model_hypervisor.hpp"

using namespace kvm_exitstats;
using model::HostState;
using model::ModelHypervisor;

BOOST_AUTO_TEST_SUITE(reader)

BOOST_AUTO_TEST_CASE(detects_each_kind_of_host)
{
    const std::pair<HostState, Availability> cases[] = {
        {HostState::bare_metal, Availability::not_a_guest},
        {HostState::stock_kvm, Availability::no_interface},
        {HostState::statistics_off, Availability::no_interface},
        {HostState::statistics_on, Availability::available},
    };
    for (const auto& [state, expected] : cases) {
        ModelHypervisor host(Numbering::vmx, state);
        ExitStatsReader reader(host);
        BOOST_TEST((reader.probe() == expected));
    }
}

BOOST_AUTO_TEST_CASE(decodes_the_host_description)
{
    ModelHypervisor host(Numbering::svm);
    host.set_host_scope(true);
    ExitStatsReader reader(host);
    const HostInfo info = reader.info();
    BOOST_TEST(info.version == 2u);
    BOOST_TEST((info.numbering == Numbering::svm));
    BOOST_TEST((info.scope == Scope::host));
    BOOST_TEST(info.max_reason == 0x403u);
    BOOST_TEST(info.tsc_khz == host.tsc_khz());
}

BOOST_AUTO_TEST_CASE(info_without_the_interface_throws)
{
    ModelHypervisor host(Numbering::vmx, HostState::stock_kvm);
    ExitStatsReader reader(host);
    BOOST_CHECK_THROW(reader.info(), InterfaceGone);
}

BOOST_AUTO_TEST_CASE(reads_64_bit_counts)
{
    ModelHypervisor host(Numbering::vmx);
    host.add_exits(48, 5'000'000'000ull, 3);
    ExitStatsReader reader(host);
    const ReasonReading ept = reader.reason(48);
    BOOST_TEST(ept.defined);
    BOOST_TEST(ept.counts.exits == 5'000'000'000ull);
    BOOST_TEST(ept.counts.cycles == 15'000'000'000ull);
    const Counts total = reader.totals();
    BOOST_TEST(total.exits == 5'000'000'000ull + 2);  // and the two reason queries
}

BOOST_AUTO_TEST_CASE(undefined_and_not_handled_reasons)
{
    ModelHypervisor host(Numbering::vmx);
    ExitStatsReader reader(host);
    BOOST_TEST(!reader.reason(35).defined);
    BOOST_TEST(!reader.reason(78).defined);
    const ReasonReading getsec = reader.reason(11);  // defined, KVM has no handler
    BOOST_TEST(getsec.defined);
    BOOST_TEST(getsec.counts.exits == 0u);
}

BOOST_AUTO_TEST_CASE(each_query_is_one_cpuid_exit)
{
    ModelHypervisor host(Numbering::svm);
    ExitStatsReader reader(host);
    const std::uint64_t first = reader.reason(0x72).counts.exits;
    const std::uint64_t second = reader.reason(0x72).counts.exits;
    // Two CPUIDs per reading: exits, then cycles.
    BOOST_TEST(second - first == 2u);
    BOOST_TEST(host.exits(0x72) == reader.queries_issued());
}

BOOST_AUTO_TEST_CASE(snapshots_cost_one_plus_two_per_defined_reason)
{
    for (Numbering numbering : {Numbering::vmx, Numbering::svm}) {
        ModelHypervisor host(numbering);
        host.set_interface_version(1);
        ExitStatsReader reader(host);
        const Snapshot first = reader.snapshot();
        const std::uint64_t before = reader.queries_issued();
        const Snapshot second = reader.snapshot();
        BOOST_TEST(reader.queries_issued() - before == 1 + 2 * second.reasons.size());
        BOOST_TEST(first.reasons.size() == second.reasons.size());
        for (const auto& [reason, counts] : second.reasons)
            BOOST_TEST(host.is_defined(reason));
    }
}

BOOST_AUTO_TEST_CASE(histograms_cost_one_per_reason_with_exits_and_one_per_bucket_that_holds_them)
{
    ModelHypervisor host(Numbering::svm);
    host.add_exits(0x400, 100, 7000);  // bucket 13
    host.add_exits(0x400, 1, 900000);  // bucket 20
    host.add_exits(0x7b, 20, 3000);    // bucket 12
    ExitStatsReader reader(host);
    reader.snapshot();
    const std::uint64_t before = reader.queries_issued();
    const Snapshot s = reader.snapshot();
    // npf: 2 buckets, io: 1, cpuid (the reader's own exits, all in one bucket): 1.
    BOOST_TEST(reader.queries_issued() - before == 1 + 2 * s.reasons.size() + (1 + 2) + (1 + 1) + (1 + 1));
    const Histogram& npf = s.histograms.at(0x400);
    BOOST_TEST(npf.count[13] == 100u);
    BOOST_TEST(npf.count[20] == 1u);
    BOOST_TEST(npf.max == 900000u);
    BOOST_TEST(s.histograms.at(0x7b).exits() == 20u);
    // The CPUID histogram, read after the count, is cut to the count.
    BOOST_TEST(s.histograms.at(0x72).exits() == s.reasons.at(0x72).exits);
}

BOOST_AUTO_TEST_CASE(interface_1_has_no_histograms_and_costs_nothing_more)
{
    ModelHypervisor host(Numbering::svm);
    host.set_interface_version(1);
    host.add_exits(0x400, 100, 7000);
    ExitStatsReader reader(host);
    BOOST_TEST(reader.snapshot().histograms.empty());
    BOOST_TEST(!reader.histogram(0x400).has_value());
}

BOOST_AUTO_TEST_CASE(first_snapshot_reads_the_signature_once)
{
    for (Numbering numbering : {Numbering::vmx, Numbering::svm}) {
        ModelHypervisor host(numbering);
        host.set_interface_version(1);
        ExitStatsReader reader(host);
        const Snapshot s = reader.snapshot();
        std::uint64_t scanned = s.info.max_reason + 1;
        if (numbering == Numbering::svm)
            scanned -= 0x400 - 0x100;  // no SVM exit code lies in between
        // Signature and description, the scan, then exits and cycles per reason.
        BOOST_TEST(reader.queries_issued() == 2 + scanned + 2 * s.reasons.size());
    }
}

BOOST_AUTO_TEST_CASE(snapshot_shows_the_exits_of_each_reason)
{
    ModelHypervisor host(Numbering::svm);
    host.add_exits(0x400, 100, 7000);
    host.add_exits(0x7b, 20, 3000);
    ExitStatsReader reader(host);
    const Snapshot s = reader.snapshot();
    BOOST_TEST(s.reasons.at(0x400).exits == 100u);
    BOOST_TEST(s.reasons.at(0x400).cycles == 700000u);
    BOOST_TEST(s.reasons.at(0x7b).exits == 20u);
    BOOST_TEST(s.reasons.count(0x100) == 0u);
}

BOOST_AUTO_TEST_CASE(statistics_switched_off_between_snapshots)
{
    ModelHypervisor host(Numbering::vmx);
    ExitStatsReader reader(host);
    reader.snapshot();
    host.set_state(HostState::statistics_off);
    BOOST_CHECK_THROW(reader.snapshot(), InterfaceGone);
}

BOOST_AUTO_TEST_SUITE_END()
