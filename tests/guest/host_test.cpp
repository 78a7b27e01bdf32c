#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "expect_refused.hpp"
#include "kvm_exitstats/host_view.hpp"
#include "kvm_exitstats/host_vms.hpp"
#include "kvm_exitstats/vm_file.hpp"

using namespace kvm_exitstats;
namespace fs = std::filesystem;

namespace {

const char* const two_reasons =
    "kvm-exitstats-vm 1\nstatistics on\nnumbering svm\ntsc_khz 2994000\nvcpus 2\n"
    "total 1300 5500000\nreason 0x7b 300 2500000\nreason 0x400 1000 3000000\n";

void write(const fs::path& path, const std::string& text)
{
    fs::create_directories(path.parent_path());
    std::ofstream(path) << text;
}

// A host's /sys and /proc as kvm-exitstats' KVM shows them, in a temporary
// directory that goes away with the test.
struct FakeHost {
    fs::path root = fs::temp_directory_path() /
                    ("kes-host-test-" + std::to_string(std::hash<const void*>()(this)));
    HostPaths paths{root.string()};

    FakeHost()
    {
        fs::remove_all(root);
        write(root / "sys/module/kvm/parameters/exitstats", "vm\n");
        write(root / "proc/self/mounts", "sysfs /sys sysfs rw 0 0\ndebugfs /sys/kernel/debug debugfs rw 0 0\n");
        fs::create_directories(root / "sys/kernel/debug/kvm");
        // Stock KVM's own files and a vCPU directory are not VMs.
        write(root / "sys/kernel/debug/kvm/exits", "0\n");
    }
    ~FakeHost() { fs::remove_all(root); }

    void add_vm(const std::string& dir, int pid, const std::string& file, const std::string& cmdline)
    {
        write(root / "sys/kernel/debug/kvm" / dir / "exitstats", file);
        write(root / "proc" / std::to_string(pid) / "cmdline", cmdline);
    }
};

HostProblem problem_of(const std::function<void()>& action)
{
    try {
        action();
    } catch (const HostError& e) {
        return e.problem();
    }
    BOOST_FAIL("no HostError");
    return HostProblem::vm_gone;
}

VmSample sample(const std::string& dir, std::uint64_t exits, std::uint64_t cycles)
{
    VmSample s;
    s.id.dir = dir;
    s.id.pid = std::stoi(dir);
    s.file.statistics_on = true;
    s.file.numbering = Numbering::svm;
    s.file.total = {exits, cycles};
    s.file.reasons[0x7b] = {exits, cycles};
    return s;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(vm_file)

BOOST_AUTO_TEST_CASE(a_file_with_two_reasons)
{
    const VmFile f = parse_vm_file(two_reasons);
    BOOST_TEST(f.version == 1u);
    BOOST_TEST(f.statistics_on);
    BOOST_TEST((f.numbering == Numbering::svm));
    BOOST_TEST(f.tsc_khz == 2994000u);
    BOOST_TEST(f.vcpus == 2u);
    BOOST_TEST(f.total.exits == 1300u);
    BOOST_TEST(f.reasons.at(0x400).cycles == 3000000u);
    BOOST_TEST(f.reasons.size() == 2u);
    const Report report = make_report(f);
    BOOST_TEST(report.rows.front().name == "npf");
    BOOST_TEST(report.total.cycles == 5500000u);
}

BOOST_AUTO_TEST_CASE(statistics_off_has_no_numbers)
{
    const VmFile f = parse_vm_file("kvm-exitstats-vm 1\nstatistics off\n");
    BOOST_TEST(!f.statistics_on);
    BOOST_TEST(f.reasons.empty());
}

BOOST_AUTO_TEST_CASE(lines_a_later_kernel_adds_are_ignored)
{
    const VmFile f = parse_vm_file(std::string(two_reasons) + "halt_polls 12 34\n");
    BOOST_TEST(f.total.exits == 1300u);
}

BOOST_AUTO_TEST_CASE(malformed_files_name_their_line)
{
    const std::pair<std::string, std::string> cases[] = {
        {"", "empty"},
        {"kvm-exitstats 1\n", "line 1: not a kvm-exitstats VM file"},
        {"kvm-exitstats-vm 2\nstatistics on\n", "line 1: format version 2"},
        {"kvm-exitstats-vm x\n", "line 1: \"x\" is not a number"},
        {"kvm-exitstats-vm 1\nstatistics on\ntotal 1 2\nreason 7b 1 2\n", "line 4: a reason code is written 0xHEX"},
        {"kvm-exitstats-vm 1\nstatistics on\ntotal 2 4\nreason 0x7b 1 2\nreason 0x7b 1 2\n", "line 5: reason 0x7b appears twice"},
        {"kvm-exitstats-vm 1\nstatistics on\ntotal 5 4\nreason 0x7b 1 4\n", "add up to 1 exits and 4 cycles, the total says 5 and 4"},
        {"kvm-exitstats-vm 1\nstatistics on\nreason 0x7b 1 4\n", "no \"total\" line"},
        {"kvm-exitstats-vm 1\nstatistics on\ntotal 1 4\nreason 0x7b 1\n", "line 4: bad \"reason\" line"},
        {"kvm-exitstats-vm 1\nstatistics on\ntotal 1 -4\n", "line 3: \"-4\" is not a number"},
        {"kvm-exitstats-vm 1\nstatistics on\ntotal 1 4", "the last line is not complete"},
    };
    for (const auto& [text, expected] : cases)
        expect_refused<MalformedVmFile>(parse_vm_file, text, expected);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(host_vms)

BOOST_AUTO_TEST_CASE(qemu_and_libvirt_names)
{
    BOOST_TEST(qemu_vm_name({"qemu", "-name", "web1"}) == "web1");
    BOOST_TEST(qemu_vm_name({"qemu", "-name", "guest=db,debug-threads=on"}) == "db");
    BOOST_TEST(qemu_vm_name({"qemu", "--name", "a,,b,process=x"}) == "a,b");
    BOOST_TEST(qemu_vm_name({"qemu", "-name", "debug-threads=on"}) == "");
    BOOST_TEST(qemu_vm_name({"qemu", "-m", "1G"}) == "");
    BOOST_TEST(qemu_vm_name({"qemu", "-name"}) == "");
}

BOOST_AUTO_TEST_CASE(lists_the_vms_with_their_names)
{
    FakeHost host;
    host.add_vm("200-12", 200, two_reasons, std::string("qemu\0-name\0guest=db\0", 20));
    host.add_vm("100-11", 100, two_reasons, std::string("qemu\0-name\0web1\0", 16));
    fs::create_directories(host.root / "sys/kernel/debug/kvm/300-9");  // stock KVM's VM: no file
    BOOST_REQUIRE_NO_THROW(check_host(host.paths, true));
    const auto vms = list_vms(host.paths);
    BOOST_REQUIRE(vms.size() == 2u);
    BOOST_TEST(vms[0].dir == "100-11");
    BOOST_TEST(vms[0].name == "web1");
    BOOST_TEST(vms[1].name == "db");
    BOOST_TEST(list_vm_dirs(host.paths) == (std::vector<std::string>{"100-11", "200-12"}),
               boost::test_tools::per_element());
    BOOST_TEST(find_vm(vms, "db").pid == 200);
    BOOST_TEST(find_vm(vms, "100").name == "web1");
    BOOST_TEST(find_vm(vms, "200-12").name == "db");
    BOOST_TEST(read_vm(host.paths, vms[1]).total.exits == 1300u);
    BOOST_TEST(sample_vms(host.paths, vms).size() == 2u);
}

BOOST_AUTO_TEST_CASE(each_problem_is_told_apart)
{
    FakeHost host;
    BOOST_REQUIRE_NO_THROW(check_host(host.paths, false));  // debugfs readable: root or not
    fs::rename(host.root / "sys/kernel/debug/kvm", host.root / "kvm");
    BOOST_TEST((problem_of([&] { check_host(host.paths, false); }) == HostProblem::not_root));
    BOOST_TEST((problem_of([&] { check_host(host.paths, true); }) == HostProblem::kvm_not_loaded));
    write(host.root / "proc/self/mounts", "sysfs /sys sysfs rw 0 0\n");
    BOOST_TEST((problem_of([&] { check_host(host.paths, true); }) == HostProblem::debugfs_not_mounted));
    write(host.root / "sys/module/kvm/parameters/exitstats", "off\n");
    BOOST_TEST((problem_of([&] { check_host(host.paths, true); }) == HostProblem::statistics_off));
    fs::remove(host.root / "sys/module/kvm/parameters/exitstats");
    BOOST_TEST((problem_of([&] { check_host(host.paths, true); }) == HostProblem::stock_kvm));
    fs::remove_all(host.root / "sys/module/kvm");
    BOOST_TEST((problem_of([&] { check_host(host.paths, true); }) == HostProblem::kvm_not_loaded));
}

BOOST_AUTO_TEST_CASE(a_missing_an_ambiguous_and_a_vanished_vm)
{
    FakeHost host;
    host.add_vm("100-11", 100, two_reasons, std::string("qemu\0-name\0twin\0", 16));
    host.add_vm("100-12", 100, two_reasons, std::string("qemu\0-name\0twin\0", 16));
    const auto vms = list_vms(host.paths);
    BOOST_TEST((problem_of([&] { find_vm(vms, "nope"); }) == HostProblem::no_such_vm));
    BOOST_TEST((problem_of([&] { find_vm(vms, "twin"); }) == HostProblem::no_such_vm));
    BOOST_TEST(find_vm(vms, "100-12").dir == "100-12");
    fs::remove_all(host.root / "sys/kernel/debug/kvm/100-12");
    BOOST_TEST((problem_of([&] { read_vm(host.paths, vms[1]); }) == HostProblem::vm_gone));
    BOOST_TEST(sample_vms(host.paths, vms).size() == 1u);  // left out, not an error
    write(host.root / "sys/kernel/debug/kvm/100-11/exitstats", "kvm-exitstats-vm 1\nstatistics off\n");
    BOOST_TEST((problem_of([&] { read_vm(host.paths, vms[0]); }) == HostProblem::statistics_off));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(host_view)

BOOST_AUTO_TEST_CASE(rates_over_the_window_most_cycles_first)
{
    const std::vector<VmSample> before = {sample("100-1", 1000, 50000), sample("200-1", 10, 1000)};
    const std::vector<VmSample> after = {sample("100-1", 1100, 60000), sample("200-1", 60, 101000),
                                         sample("300-1", 5, 5)};
    const HostView view = make_host_view(before, after, 0.5);
    BOOST_REQUIRE(view.rows.size() == 3u);
    BOOST_TEST(view.rows[0].now.id.dir == "200-1");  // 200,000 cycles/s
    BOOST_TEST(view.rows[0].window->exits == 50u);
    BOOST_TEST(view.rows[0].window_reasons.at(0x7b).cycles == 100000u);
    BOOST_TEST(view.rows[1].now.id.dir == "100-1");  // 20,000 cycles/s
    BOOST_TEST(!view.rows[2].window.has_value());    // started in the window

    const auto json = nlohmann::json::parse(format_host_json(view));
    BOOST_TEST(json["vms"][0]["exits_per_second"].get<double>() == 100.0);
    BOOST_TEST(json["vms"][0]["cycles_per_second"].get<double>() == 200000.0);
    BOOST_TEST(!json["vms"][2].contains("exits_per_second"));

    const std::string table = format_host_table(view, 3);
    BOOST_TEST(table.find("100.0") != std::string::npos, table);
    BOOST_TEST(table.find("200,000") != std::string::npos, table);
    BOOST_TEST(table.find("io 100%") != std::string::npos, table);

    const std::string csv = format_host_csv(view);
    BOOST_TEST(csv.find("200,200-1,,0,60,101000,100.000,200000\n") != std::string::npos, csv);
    BOOST_TEST(csv.find("300,300-1,,0,5,5,,\n") != std::string::npos, csv);
}

BOOST_AUTO_TEST_CASE(a_vm_whose_counters_went_down_is_a_new_vm)
{
    const HostView view = make_host_view({sample("100-1", 1000, 50000)}, {sample("100-1", 10, 100)}, 1.0);
    BOOST_TEST(view.rows[0].window->exits == 0u);
}

BOOST_AUTO_TEST_CASE(prometheus_labels_each_vm)
{
    VmSample a = sample("100-1", 10, 20);
    a.id.name = "web \"1\"";
    const std::string text = format_host_prometheus({a, sample("200-1", 3, 4)});
    BOOST_TEST(text.find("kvm_exitstats_vm_exits_total{vm=\"web \\\"1\\\"\",pid=\"100\",kvm_dir=\"100-1\","
                         "numbering=\"svm\",reason=\"io\",code=\"123\"} 10\n") != std::string::npos,
               text);
    BOOST_TEST(text.find("kvm_exitstats_vm_all_cycles_total{vm=\"pid 200\",pid=\"200\",kvm_dir=\"200-1\"} 4\n") !=
                   std::string::npos,
               text);
    BOOST_TEST(text.find("kvm_exitstats_vms 2\n") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
