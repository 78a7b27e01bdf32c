// kvm-exitstats-model: the kvm-exitstats command with a model hypervisor in
// place of the processor's CPUID and a virtual clock, for the tests that run
// the command as a user would. Never installed.
//
// KES_MODEL holds space-separated settings:
//   numbering=vmx|svm    state=on|off|stock|bare-metal    scope=vm|host
//   exits=NAME:COUNT:CYCLES,...      exits present before the command starts
//   run-exits=NAME:COUNT:CYCLES,...  exits a command run by `run` causes
//   tick-exits=NAME:COUNT:CYCLES,... exits during each interval of `watch`
//   off-after=N                      the host switches off after N CPUIDs
//   version=1|2                      the interface version (default 2; 1 has
//                                    no latency histograms)
//   terminal=yes                     stdout counts as a terminal (default:
//                                    whether it is one)
//   host-root=DIR                    the host's /sys and /proc are under DIR
//                                    (for `host`; root is assumed)
//   root=no                          not running as root
//   pace=SECONDS                     real time each interval of a watch
//                                    takes (default 0.02; the figures use
//                                    the virtual clock either way)
#include <cstdlib>
#include <exception>
#include <iostream>
#include <sstream>
#include <string>

#include "app.hpp"
#include "model_hypervisor.hpp"
#include "process_environment.hpp"

namespace {

using kvm_exitstats::CpuidRegs;
using kvm_exitstats::Numbering;
using kvm_exitstats::model::HostState;
using kvm_exitstats::model::ModelHypervisor;

struct Settings {
    Numbering numbering = Numbering::svm;
    HostState state = HostState::statistics_on;
    bool host_scope = false;
    std::string exits;
    std::string run_exits;
    std::string tick_exits;
    unsigned long off_after = 0;
    std::uint32_t version = 2;
    bool terminal = false;
    std::string host_root = "/";
    bool root = true;
    double pace = 0.02;
};

[[noreturn]] void bad_setting(const std::string& setting)
{
    std::cerr << "kvm-exitstats-model: bad KES_MODEL setting: " << setting << '\n';
    std::exit(2);
}

double parse_pace(const std::string& setting, const std::string& value)
{
    std::size_t used = 0;
    double seconds = -1;
    try {
        seconds = std::stod(value, &used);
    } catch (const std::exception&) {
        bad_setting(setting);
    }
    if (used != value.size() || !(seconds >= 0 && seconds <= 10))
        bad_setting(setting);
    return seconds;
}

Settings parse_settings(const char* text)
{
    Settings s;
    std::istringstream words(text ? text : "");
    std::string word;
    while (words >> word) {
        const auto eq = word.find('=');
        if (eq == std::string::npos)
            bad_setting(word);
        const std::string key = word.substr(0, eq), value = word.substr(eq + 1);
        if (key == "numbering" && (value == "vmx" || value == "svm"))
            s.numbering = value == "vmx" ? Numbering::vmx : Numbering::svm;
        else if (key == "state" && value == "on")
            s.state = HostState::statistics_on;
        else if (key == "state" && value == "off")
            s.state = HostState::statistics_off;
        else if (key == "state" && value == "stock")
            s.state = HostState::stock_kvm;
        else if (key == "state" && value == "bare-metal")
            s.state = HostState::bare_metal;
        else if (key == "scope" && (value == "vm" || value == "host"))
            s.host_scope = value == "host";
        else if (key == "exits")
            s.exits = value;
        else if (key == "run-exits")
            s.run_exits = value;
        else if (key == "tick-exits")
            s.tick_exits = value;
        else if (key == "terminal" && value == "yes")
            s.terminal = true;
        else if (key == "host-root")
            s.host_root = value;
        else if (key == "root" && (value == "yes" || value == "no"))
            s.root = value == "yes";
        else if (key == "off-after")
            s.off_after = std::stoul(value);
        else if (key == "version" && (value == "1" || value == "2"))
            s.version = value == "1" ? 1 : 2;
        else if (key == "pace")
            s.pace = parse_pace(word, value);
        else
            bad_setting(word);
    }
    return s;
}

void add_exits(ModelHypervisor& model, Numbering numbering, const std::string& list)
{
    std::istringstream items(list);
    std::string item;
    while (std::getline(items, item, ',')) {
        std::istringstream fields(item);
        std::string name, count, cycles;
        std::getline(fields, name, ':');
        std::getline(fields, count, ':');
        std::getline(fields, cycles, ':');
        const auto reason = kvm_exitstats::parse_reason(numbering, name);
        if (!reason || count.empty() || cycles.empty())
            bad_setting(item);
        model.add_exits(*reason, std::stoull(count), std::stoull(cycles));
    }
}

// Switches the model host off after a number of CPUIDs.
class SwitchingOff final : public kvm_exitstats::CpuidSource {
public:
    SwitchingOff(ModelHypervisor& model, unsigned long after) : model_(model), after_(after) {}
    CpuidRegs query(std::uint32_t leaf, std::uint32_t subleaf) override
    {
        if (after_ && ++queries_ > after_)
            model_.set_state(HostState::statistics_off);
        return model_.query(leaf, subleaf);
    }

private:
    ModelHypervisor& model_;
    unsigned long after_;
    unsigned long queries_ = 0;
};

}  // namespace

int main(int argc, char** argv)
{
    const Settings settings = parse_settings(std::getenv("KES_MODEL"));
    ModelHypervisor model(settings.numbering, settings.state);
    model.set_host_scope(settings.host_scope);
    model.set_interface_version(settings.version);
    add_exits(model, settings.numbering, settings.exits);
    SwitchingOff cpuid(model, settings.off_after);

    double clock = 1000.0;
    auto env = kvm_exitstats::cli::process_environment(cpuid);
    env.out_is_terminal = env.out_is_terminal || settings.terminal;
    env.host_paths.root = settings.host_root;
    env.running_as_root = [&settings] { return settings.root; };
    env.now_seconds = [&clock] { return clock; };
    const auto real_sleep = env.sleep_seconds;
    env.sleep_seconds = [&](double seconds) {
        // Virtual time for the figures; a little real time, so that a
        // watch on a terminal does not spin.
        real_sleep(settings.pace);
        clock += seconds;
        add_exits(model, settings.numbering, settings.tick_exits);
    };
    env.run_command = [&](const std::vector<std::string>& command) {
        const int status = kvm_exitstats::cli::run_child(command, std::cerr);
        add_exits(model, settings.numbering, settings.run_exits);
        clock += 0.5;
        return status;
    };
    return kvm_exitstats::cli::run_app(argc, argv, env);
}
