#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <ostream>
#include <string>

#include <fmt/format.h>

#include "commands.hpp"
#include "kvm_exitstats/formats.hpp"
#include "kvm_exitstats/host_view.hpp"
#include "kvm_exitstats/vcpu_view.hpp"

namespace kvm_exitstats::cli {

namespace {

// Where kvm-exitstats-dkms is installed, its helper knows whether Secure
// Boot keeps the modules out (the kernel does not trust the key DKMS signs
// them with): its one line then replaces the general advice to install them.
std::string secure_boot_refusal(const HostPaths& paths)
{
    const std::string helper = paths.dkms_helper();
    if (access(helper.c_str(), X_OK) != 0)
        return "";
    FILE* output = popen(fmt::format("'{}' secure-boot 2>/dev/null", helper).c_str(), "r");
    if (!output)
        return "";
    std::string line;
    char buffer[512];
    while (fgets(buffer, sizeof buffer, output))
        line += buffer;
    pclose(output);
    while (!line.empty() && line.back() == '\n')
        line.pop_back();
    return line;
}

int report_host_error(const HostError& error, Environment& env)
{
    const std::string refusal =
        error.problem() == HostProblem::stock_kvm ? secure_boot_refusal(env.host_paths) : "";
    if (refusal.empty())
        env.err << "kvm-exitstats: " << error.what() << '\n';
    else
        env.err << refusal << '\n';
    switch (error.problem()) {
    case HostProblem::not_root:
        return exit_not_root;
    case HostProblem::debugfs_not_mounted:
        return exit_no_debugfs;
    case HostProblem::kvm_not_loaded:
        return exit_kvm_not_loaded;
    case HostProblem::stock_kvm:
        return exit_stock_kvm;
    case HostProblem::statistics_off:
        return exit_statistics_off;
    case HostProblem::no_such_vm:
        return exit_no_such_vm;
    case HostProblem::vm_gone:
        return exit_vm_gone;
    }
    return exit_error;
}

}  // namespace

int with_host_errors(Environment& env, const std::function<int()>& command)
{
    try {
        return command();
    } catch (const HostError& e) {
        return report_host_error(e, env);
    } catch (const MalformedVmFile& e) {
        env.err << "kvm-exitstats: cannot read the host's file: " << e.what() << '\n';
        return exit_error;
    }
}

namespace {

// A temporary file renamed over the file, so that a reader such as
// node_exporter never sees half of it.
bool write_file_atomically(const std::string& path, const std::string& text, Environment& env)
{
    const std::string temporary = path + ".tmp";
    {
        std::ofstream out(temporary, std::ios::trunc);
        out << text;
        out.close();
        if (!out) {
            env.err << "kvm-exitstats: cannot write " << temporary << ": " << std::strerror(errno) << '\n';
            std::remove(temporary.c_str());
            return false;
        }
    }
    if (std::rename(temporary.c_str(), path.c_str()) != 0) {
        env.err << "kvm-exitstats: cannot rename " << temporary << " to " << path << ": "
                << std::strerror(errno) << '\n';
        std::remove(temporary.c_str());
        return false;
    }
    return true;
}

int show(const std::string& text, const Options& options, Environment& env)
{
    if (options.output.empty()) {
        env.out << text;
        return exit_ok;
    }
    return write_file_atomically(options.output, text, env) ? exit_ok : exit_error;
}

int one_vm(const Options& options, Environment& env)
{
    const VmId vm = find_vm(list_vms(env.host_paths), options.vm);
    const VmFile file = read_vm(env.host_paths, vm);
    const std::string subject = "VM " + vm.label() + ", pid " + std::to_string(vm.pid) + ", " +
                                std::to_string(file.vcpus) + " vCPUs";
    if (options.vcpus) {
        if (file.vcpu_counts.empty()) {
            env.err << "kvm-exitstats: the host's KVM modules keep no per-vCPU counts (kvm-exitstats-dkms "
                       "before 0.4.0): upgrade kvm-exitstats-dkms for --vcpus\n";
            return exit_error;
        }
        return show(options.json ? format_vcpu_json(file) : format_vcpu_table(file, subject, options.host_top),
                    options, env);
    }
    if (options.prometheus)
        return show(format_host_prometheus({{vm, file}}), options, env);
    Report report = make_report(file);
    report.subject = subject;
    return show(format_report(report, options), options, env);
}

int all_vms(const Options& options, Environment& env)
{
    const HostPaths& paths = env.host_paths;
    if (options.prometheus)
        return show(format_host_prometheus(sample_vms(paths, list_vms(paths))), options, env);
    // Without a window, the rates are not known: only the counters.
    std::vector<VmSample> before, after = sample_vms(paths, list_vms(paths));
    const double start = env.now_seconds();
    if (options.window > 0 && !after.empty()) {
        before = std::move(after);
        env.sleep_seconds(options.window);
        after = sample_vms(paths, list_vms(paths));
    }
    const HostView view = make_host_view(before, after, env.now_seconds() - start);
    if (options.json)
        return show(format_host_json(view), options, env);
    if (options.csv)
        return show(format_host_csv(view), options, env);
    return show(format_host_table(view, options.host_top), options, env);
}

}  // namespace

int host_command(const Options& options, Environment& env)
{
    return with_host_errors(env, [&] {
        check_host(env.host_paths, env.running_as_root());
        return options.vm.empty() ? all_vms(options, env) : one_vm(options, env);
    });
}

}  // namespace kvm_exitstats::cli
