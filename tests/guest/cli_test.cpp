#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>
#include <sstream>

#include "app.hpp"
#include "model_hypervisor.hpp"

using namespace kvm_exitstats;
using model::HostState;
using model::ModelHypervisor;

namespace {

struct Run {
    int code;
    std::string out;
    std::string err;
};

// The command against a model host, with a virtual clock.
struct ModelCommand {
    explicit ModelCommand(Numbering numbering, HostState state = HostState::statistics_on)
        : host(numbering, state)
    {
    }

    Run operator()(std::vector<std::string> args)
    {
        std::ostringstream out, err;
        double clock = 0;
        cli::Environment env{
            host,
            out,
            err,
            terminal,
            [&] { return clock; },
            [&](double seconds) {
                clock += seconds;
                if (on_sleep)
                    on_sleep();
            },
            [] { return false; },
            [&](const std::vector<std::string>& command) {
                commands.push_back(command);
                if (workload)
                    workload();
                return command_status;
            },
        };
        args.insert(args.begin(), "kvm-exitstats");
        std::vector<const char*> argv;
        for (const auto& a : args)
            argv.push_back(a.c_str());
        const int code = cli::run_app(static_cast<int>(argv.size()), argv.data(), env);
        return {code, out.str(), err.str()};
    }

    ModelHypervisor host;
    bool terminal = false;
    int command_status = 0;
    std::function<void()> workload;
    std::function<void()> on_sleep;
    std::vector<std::vector<std::string>> commands;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(cli)

BOOST_AUTO_TEST_CASE(exit_codes_tell_what_is_missing)
{
    BOOST_TEST(ModelCommand(Numbering::vmx, HostState::bare_metal)({}).code == 3);
    const Run stock = ModelCommand(Numbering::vmx, HostState::stock_kvm)({});
    BOOST_TEST(stock.code == 4);
    BOOST_TEST(stock.err.find("install the kvm-exitstats-dkms package") != std::string::npos);
    BOOST_TEST(ModelCommand(Numbering::svm, HostState::statistics_off)({"--json"}).code == 4);
    BOOST_TEST(ModelCommand(Numbering::svm)({"--bogus"}).code == 2);
    BOOST_TEST(ModelCommand(Numbering::svm)({"--json", "--csv"}).code == 2);
    BOOST_TEST(ModelCommand(Numbering::svm)({}).code == 0);
}

BOOST_AUTO_TEST_CASE(help_and_version)
{
    const Run help = ModelCommand(Numbering::svm)({"--help"});
    BOOST_TEST(help.code == 0);
    BOOST_TEST(help.out.find("Exit status:") != std::string::npos);
    BOOST_TEST(help.out.find("watch") != std::string::npos);
    const Run version = ModelCommand(Numbering::svm)({"--version"});
    BOOST_TEST(version.code == 0);
    BOOST_TEST(version.out == std::string(KVM_EXITSTATS_TEST_VERSION) + "\n");
}

BOOST_AUTO_TEST_CASE(one_reason_by_name_or_number)
{
    ModelCommand command(Numbering::svm);
    command.host.add_exits(0x400, 77, 1000);
    const Run by_name = command({"--reason", "NPF", "--json"});
    BOOST_TEST(by_name.code == 0);
    const auto doc = nlohmann::json::parse(by_name.out);
    BOOST_TEST(doc.at("reasons").size() == 1u);
    BOOST_TEST(doc.at("reasons")[0].at("exits").get<int>() == 77);
    BOOST_TEST(command({"--reason", "0x400"}).out.find("npf (0x400)") != std::string::npos);
    const Run undefined = command({"--reason", "0x100"});
    BOOST_TEST(undefined.code == 1);
    BOOST_TEST(undefined.err.find("not a defined exit reason") != std::string::npos);
    BOOST_TEST(command({"--reason", "EPT_VIOLATION"}).code == 2);
}

BOOST_AUTO_TEST_CASE(run_reports_the_commands_exits_and_passes_its_status)
{
    ModelCommand command(Numbering::vmx);
    command.command_status = 42;
    command.workload = [&] { command.host.add_exits(30, 9, 4000); };
    const Run run = command({"--json", "run", "--", "make", "-j2"});
    BOOST_TEST(run.code == 42);
    BOOST_TEST((command.commands.at(0) == std::vector<std::string>{"make", "-j2"}));
    const auto doc = nlohmann::json::parse(run.err.substr(run.err.find('{')));
    BOOST_TEST(doc.at("total").at("exits").get<int>() == 9);
    BOOST_TEST(doc.at("reasons")[0].at("name").get<std::string>() == "IO_INSTRUCTION");
}

BOOST_AUTO_TEST_CASE(run_of_a_command_without_exits_reports_none)
{
    ModelCommand command(Numbering::svm);
    const Run run = command({"--json", "run", "--", "true"});
    BOOST_TEST(run.code == 0);
    const auto doc = nlohmann::json::parse(run.err.substr(run.err.find('{')));
    BOOST_TEST(doc.at("total").at("exits").get<int>() == 0);
    BOOST_TEST(doc.at("own_exits_removed").get<int>() > 0);
}

BOOST_AUTO_TEST_CASE(watch_prints_a_line_per_interval_off_a_terminal)
{
    ModelCommand command(Numbering::svm);
    command.on_sleep = [&] { command.host.add_exits(0x78, 50, 100); };
    const Run run = command({"watch", "--interval", "2", "--count", "3"});
    BOOST_TEST(run.code == 0);
    BOOST_TEST(run.out == std::string("exits/s 25.0 cycles/s 2500 hlt=25.0\n") +
                              "exits/s 25.0 cycles/s 2500 hlt=25.0\n" +
                              "exits/s 25.0 cycles/s 2500 hlt=25.0\n");
}

BOOST_AUTO_TEST_CASE(watch_on_a_terminal_redraws_and_restores_the_screen)
{
    ModelCommand command(Numbering::svm);
    command.terminal = true;
    const Run run = command({"watch", "-n", "2"});
    BOOST_TEST(run.out.rfind("\x1b[?1049h", 0) == 0u);
    BOOST_TEST(run.out.size() > 16);
    BOOST_TEST(run.out.substr(run.out.size() - 14) == "\x1b[?25h\x1b[?1049l");
}

BOOST_AUTO_TEST_CASE(statistics_switched_off_during_watch)
{
    ModelCommand command(Numbering::vmx);
    command.terminal = true;
    command.on_sleep = [&] { command.host.set_state(HostState::statistics_off); };
    const Run run = command({"watch"});
    BOOST_TEST(run.code == 5);
    BOOST_TEST(run.err.find("switched the statistics off") != std::string::npos);
    // The screen is restored before the message.
    BOOST_TEST(run.out.substr(run.out.size() - 14) == "\x1b[?25h\x1b[?1049l");
}

BOOST_AUTO_TEST_SUITE_END()
