#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fmt/format.h>
#include <fstream>
#include <ostream>

#include "commands.hpp"
#include "kvm_exitstats/recording.hpp"
#include "kvm_exitstats/text_fields.hpp"

namespace kvm_exitstats::cli {
namespace {

constexpr double wait_poll_seconds = 0.01;

// Waits for a VM named `name` that was not running when we started, so that
// a boot is caught from its first exits; nullopt on Ctrl-C.
std::optional<VmId> wait_for_new_vm(const std::string& name, Environment& env)
{
    std::vector<std::string> old_dirs;
    for (const VmId& vm : list_vms(env.host_paths))
        if (vm.name == name)
            old_dirs.push_back(vm.dir);
    env.err << "kvm-exitstats: waiting for a new VM named \"" << name << "\""
            << (old_dirs.empty() ? "" : " (one of that name is running: --vm records it)")
            << "; Ctrl-C stops\n";
    // Names are read from the processes only when a VM came or went.
    std::vector<std::string> seen;
    while (!env.interrupted()) {
        std::vector<std::string> dirs = list_vm_dirs(env.host_paths);
        if (dirs != seen) {
            for (const VmId& vm : list_vms(env.host_paths))
                if (vm.name == name && std::find(old_dirs.begin(), old_dirs.end(), vm.dir) == old_dirs.end())
                    return vm;
            seen = std::move(dirs);
        }
        env.sleep_seconds(wait_poll_seconds);
    }
    return std::nullopt;
}

class Progress {
public:
    Progress(Environment& env, const VmId& vm) : env_(env), vm_(vm) {}

    void update(double seconds, std::size_t samples, std::uint64_t exits)
    {
        if (!env_.out_is_terminal)
            return;
        env_.out << fmt::format("\rrecording VM {}: {:.1f} s, {} samples, {} exits   ", vm_.label(), seconds,
                                samples, exits)
                 << std::flush;
        shown_ = true;
    }
    void end()
    {
        if (shown_)
            env_.out << '\n';
        shown_ = false;
    }

private:
    Environment& env_;
    const VmId& vm_;
    bool shown_ = false;
};

// Samples the VM into the CSV file until it ends or Ctrl-C.
int record(const VmId& vm, const Options& options, Environment& env)
{
    std::ofstream csv(options.output, std::ios::trunc);
    if (!csv) {
        env.err << "kvm-exitstats: cannot write " << options.output << ": " << std::strerror(errno) << '\n';
        return exit_error;
    }

    Recording meta;
    meta.vm = vm.label();
    double start = env.now_seconds();
    std::size_t samples = 0;
    std::uint64_t ticks = 0;
    Counts last_total;
    Progress progress(env, vm);
    std::string ended;
    while (true) {
        VmFile file;
        try {
            file = read_vm(env.host_paths, vm);
        } catch (const HostError& e) {
            if (e.problem() == HostProblem::vm_gone && samples > 0) {
                ended = "the VM ended";
                break;
            }
            progress.end();
            if (samples > 0)
                env.err << "kvm-exitstats: the samples before this error are in " << options.output << '\n';
            throw;
        }
        // Times count from the first sample, which is 0 s; the columns
        // follow what the first sample's modules keep.
        const double sampled_at = env.now_seconds();
        if (samples == 0) {
            start = sampled_at;
            meta.has_latency = file.keeps_histograms;
            csv << recording_csv_header(meta.has_latency);
        }
        const double now = sampled_at - start;
        meta.numbering = file.numbering;
        meta.tsc_khz = file.tsc_khz;
        csv << recording_csv_rows(meta, {now, file.total, file.reasons, file.histograms}) << std::flush;
        if (!csv) {
            progress.end();
            env.err << "kvm-exitstats: cannot write " << options.output << ": " << std::strerror(errno) << '\n';
            return exit_error;
        }
        ++samples;
        last_total = file.total;
        progress.update(now, samples, file.total.exits);
        // Samples at multiples of the interval: no drift; a late one skips
        // the ticks it missed.
        const double elapsed = env.now_seconds() - start;
        ticks = std::max<std::uint64_t>(ticks + 1,
                                        static_cast<std::uint64_t>(std::ceil(elapsed / options.interval)));
        env.sleep_seconds(static_cast<double>(ticks) * options.interval - elapsed);
        if (env.interrupted()) {
            ended = "interrupted";
            break;
        }
    }
    progress.end();
    env.out << fmt::format("recorded VM {} (pid {}) for {:.1f} s until {}: {} samples, {} exits, "
                           "{} host cycles, in {}\n",
                           vm.label(), vm.pid, env.now_seconds() - start, ended, samples,
                           text::grouped(last_total.exits), text::grouped(last_total.cycles), options.output);
    return exit_ok;
}

}  // namespace

int host_record_command(const Options& options, Environment& env)
{
    if (options.vm.empty() == options.wait_for_name.empty()) {
        env.err << "kvm-exitstats: host record needs --vm PID|NAME or --wait NAME (one of them)\n";
        return exit_usage;
    }
    return with_host_errors(env, [&] {
        check_host(env.host_paths, env.running_as_root());
        if (!options.vm.empty())
            return record(find_vm(list_vms(env.host_paths), options.vm), options, env);
        if (auto appeared = wait_for_new_vm(options.wait_for_name, env))
            return record(*appeared, options, env);
        env.err << "kvm-exitstats: interrupted before a VM named \"" << options.wait_for_name
                << "\" appeared; nothing recorded\n";
        return static_cast<int>(exit_ok);
    });
}

}  // namespace kvm_exitstats::cli
