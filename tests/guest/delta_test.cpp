#include <boost/test/unit_test.hpp>

#include "kvm_exitstats/delta.hpp"
#include "model_hypervisor.hpp"

using namespace kvm_exitstats;
using model::ModelHypervisor;

BOOST_AUTO_TEST_SUITE(delta)

BOOST_AUTO_TEST_CASE(the_readers_own_exits_are_removed)
{
    for (Numbering numbering : {Numbering::vmx, Numbering::svm}) {
        ModelHypervisor host(numbering);
        host.set_interface_version(1);
        ExitStatsReader reader(host);
        const Snapshot before = reader.snapshot();
        const Snapshot after = reader.snapshot();
        const Delta d = subtract(before, after);
        BOOST_TEST(d.total.exits == 0u);
        BOOST_TEST(d.total.cycles == 0u);
        BOOST_TEST(d.reasons.at(cpuid_reason(numbering)).exits == 0u);
        BOOST_TEST(d.reasons.at(cpuid_reason(numbering)).cycles == 0u);
        BOOST_TEST(d.own_exits == 1 + 2 * after.reasons.size());
    }
}

BOOST_AUTO_TEST_CASE(window_histograms_hold_the_window_s_exits_without_the_readers_own)
{
    ModelHypervisor host(Numbering::vmx);
    ExitStatsReader reader(host);
    const Snapshot before = reader.snapshot();
    host.add_exits(30, 40, 3000);      // IO_INSTRUCTION, bucket 12
    host.add_exits(30, 2, 2000000);    // bucket 21
    host.add_exits(10, 5, 1500);       // the guest's own CPUIDs, as the reader's
    const Snapshot after = reader.snapshot();
    const Delta d = subtract(before, after);
    BOOST_TEST(d.histograms.at(30).count[12] == 40u);
    BOOST_TEST(d.histograms.at(30).count[21] == 2u);
    BOOST_TEST(d.histograms.at(30).max == 2000000u);
    BOOST_TEST(d.reasons.at(10).exits == 5u);
    BOOST_TEST(d.histograms.at(10).exits() == 5u);
}

BOOST_AUTO_TEST_CASE(work_between_snapshots_is_counted_exactly)
{
    ModelHypervisor host(Numbering::svm);
    ExitStatsReader reader(host);
    const Snapshot before = reader.snapshot();
    host.add_exits(0x7b, 42, 2500);
    host.add_exits(0x72, 5, host.cpuid_cycles());  // the workload's own CPUIDs
    const Snapshot after = reader.snapshot();
    const Delta d = subtract(before, after);
    BOOST_TEST(d.reasons.at(0x7b).exits == 42u);
    BOOST_TEST(d.reasons.at(0x7b).cycles == 42u * 2500u);
    BOOST_TEST(d.reasons.at(0x72).exits == 5u);
    BOOST_TEST(d.reasons.at(0x72).cycles == 5u * host.cpuid_cycles());
    BOOST_TEST(d.total.exits == 47u);
    BOOST_TEST(d.total.cycles == 42u * 2500u + 5u * host.cpuid_cycles());
}

BOOST_AUTO_TEST_CASE(the_first_snapshot_may_scan_more_than_later_ones)
{
    // The first snapshot's scan of all reasons is inside the window too.
    ModelHypervisor host(Numbering::vmx);
    ExitStatsReader scanning(host);
    const Snapshot before = scanning.snapshot();
    ExitStatsReader other(host);
    other.reason(10);  // another reader's exits are real work to this one
    const Delta d = subtract(before, scanning.snapshot());
    BOOST_TEST(d.reasons.at(10).exits == 2u);
    BOOST_TEST(d.total.exits == 2u);
}

BOOST_AUTO_TEST_CASE(counters_never_go_below_zero)
{
    Snapshot before, after;
    before.total = {10, 100};
    after.total = {5, 50};
    before.reasons[1] = {10, 100};
    after.reasons[1] = {4, 40};
    const Delta d = subtract(before, after);
    BOOST_TEST(d.total.exits == 0u);
    BOOST_TEST(d.reasons.at(1).exits == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
