#include "kvm_exitstats/host_vms.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <iterator>
#include <regex>
#include <sstream>

namespace kvm_exitstats {
namespace fs = std::filesystem;

namespace {

std::string under(const std::string& root, const char* path)
{
    return (fs::path(root) / path).string();
}

std::optional<std::string> read_whole(const std::string& path, int& error)
{
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        error = errno;
        return std::nullopt;
    }
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (in.bad()) {
        error = errno;
        return std::nullopt;
    }
    return text;
}

std::string first_line(const std::string& path)
{
    std::ifstream in(path);
    std::string line;
    std::getline(in, line);
    return line;
}

bool debugfs_is_mounted(const HostPaths& paths)
{
    std::ifstream mounts(paths.mounts());
    for (std::string line; std::getline(mounts, line);) {
        std::istringstream fields(line);
        std::string device, mount_point, type;
        fields >> device >> mount_point >> type;
        if (type == "debugfs" && mount_point == "/sys/kernel/debug")
            return true;
    }
    return false;
}

std::vector<std::string> cmdline_of(const HostPaths& paths, int pid)
{
    int error = 0;
    const auto text = read_whole(paths.proc_of(pid) + "/cmdline", error);
    std::vector<std::string> argv;
    if (!text)
        return argv;
    std::size_t start = 0;
    while (start < text->size()) {
        std::size_t end = text->find('\0', start);
        if (end == std::string::npos)
            end = text->size();
        argv.push_back(text->substr(start, end - start));
        start = end + 1;
    }
    return argv;
}

// QEMU's option syntax: comma-separated, ",," for a comma in a value.
std::vector<std::string> option_parts(const std::string& value)
{
    std::vector<std::string> parts(1);
    for (std::size_t i = 0; i < value.size(); ++i) {
        if (value[i] == ',' && i + 1 < value.size() && value[i + 1] == ',') {
            parts.back() += ',';
            ++i;
        } else if (value[i] == ',') {
            parts.emplace_back();
        } else {
            parts.back() += value[i];
        }
    }
    return parts;
}

}  // namespace

std::string HostPaths::kvm_debugfs() const { return under(root, "sys/kernel/debug/kvm"); }
std::string HostPaths::debugfs() const { return under(root, "sys/kernel/debug"); }
std::string HostPaths::kvm_module() const { return under(root, "sys/module/kvm"); }
std::string HostPaths::exitstats_parameter() const
{
    return under(root, "sys/module/kvm/parameters/exitstats");
}
std::string HostPaths::mounts() const { return under(root, "proc/self/mounts"); }
std::string HostPaths::dkms_helper() const
{
    return under(root, "usr/share/kvm-exitstats-dkms/kvm-exitstats-dkms-helper");
}
std::string HostPaths::proc_of(int pid) const
{
    return (fs::path(root) / "proc" / std::to_string(pid)).string();
}

std::string VmId::label() const
{
    return name.empty() ? fmt::format("pid {}", pid) : name;
}

std::string qemu_vm_name(const std::vector<std::string>& argv)
{
    for (std::size_t i = 0; i + 1 < argv.size(); ++i) {
        if (argv[i] != "-name" && argv[i] != "--name")
            continue;
        const auto parts = option_parts(argv[i + 1]);
        for (const std::string& part : parts)
            if (part.rfind("guest=", 0) == 0)
                return part.substr(6);
        if (parts[0].find('=') == std::string::npos)
            return parts[0];
        return "";
    }
    return "";
}

void check_host(const HostPaths& paths, bool running_as_root)
{
    std::error_code ec;
    if (!fs::exists(paths.kvm_module(), ec))
        throw HostError(HostProblem::kvm_not_loaded,
                        "KVM is not loaded (no /sys/module/kvm): load it with "
                        "\"modprobe kvm-intel\" or \"modprobe kvm-amd\"");
    if (!fs::exists(paths.exitstats_parameter(), ec))
        throw HostError(HostProblem::stock_kvm,
                        "the loaded KVM is not kvm-exitstats' (kvm has no \"exitstats\" parameter): "
                        "install kvm-exitstats-dkms for this kernel, then reload kvm "
                        "(stop the VMs, \"modprobe -r kvm-intel kvm-amd kvm\", modprobe again) or reboot");
    if (first_line(paths.exitstats_parameter()) == "off")
        throw HostError(HostProblem::statistics_off,
                        "the statistics are off (kvm.exitstats=off): switch them on with "
                        "\"echo vm > /sys/module/kvm/parameters/exitstats\"");
    if (!debugfs_is_mounted(paths))
        throw HostError(HostProblem::debugfs_not_mounted,
                        "debugfs is not mounted on /sys/kernel/debug: "
                        "\"mount -t debugfs none /sys/kernel/debug\"");
    fs::directory_iterator probe(paths.kvm_debugfs(), ec);
    if (ec == std::errc::permission_denied || (ec && !running_as_root))
        throw HostError(HostProblem::not_root,
                        "only root can read KVM's files in debugfs: run kvm-exitstats host as root "
                        "(for example with sudo)");
    if (ec)
        throw HostError(HostProblem::kvm_not_loaded,
                        fmt::format("cannot read {}: {}", paths.kvm_debugfs(), ec.message()));
}

std::vector<std::string> list_vm_dirs(const HostPaths& paths)
{
    static const std::regex vm_dir("[0-9]+-[0-9]+");
    std::vector<std::string> dirs;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(paths.kvm_debugfs(), ec)) {
        std::string dir = entry.path().filename().string();
        if (std::regex_match(dir, vm_dir) && fs::exists(entry.path() / "exitstats", ec))
            dirs.push_back(std::move(dir));
    }
    std::sort(dirs.begin(), dirs.end());
    return dirs;
}

std::vector<VmId> list_vms(const HostPaths& paths)
{
    std::vector<VmId> vms;
    for (const std::string& dir : list_vm_dirs(paths)) {
        VmId vm;
        vm.pid = std::stoi(dir.substr(0, dir.find('-')));
        vm.dir = dir;
        vm.name = qemu_vm_name(cmdline_of(paths, vm.pid));
        vms.push_back(vm);
    }
    std::sort(vms.begin(), vms.end(), [](const VmId& a, const VmId& b) {
        return a.pid != b.pid ? a.pid < b.pid : a.dir < b.dir;
    });
    return vms;
}

VmId find_vm(const std::vector<VmId>& vms, const std::string& wanted)
{
    std::vector<VmId> found;
    for (const VmId& vm : vms)
        if (vm.dir == wanted || std::to_string(vm.pid) == wanted || vm.name == wanted)
            found.push_back(vm);
    if (found.empty())
        throw HostError(HostProblem::no_such_vm,
                        fmt::format("no running VM is \"{}\" (a PID, PID-FD or QEMU -name); "
                                    "\"kvm-exitstats host\" lists them",
                                    wanted));
    if (found.size() > 1) {
        std::string dirs;
        for (const VmId& vm : found)
            dirs += " " + vm.dir;
        throw HostError(HostProblem::no_such_vm,
                        fmt::format("\"{}\" is {} VMs:{}; name one by its PID-FD", wanted,
                                    found.size(), dirs));
    }
    return found.front();
}

VmFile read_vm(const HostPaths& paths, const VmId& vm)
{
    int error = 0;
    const auto text = read_whole((fs::path(paths.kvm_debugfs()) / vm.dir / "exitstats").string(), error);
    // KVM removes the directory when the VM ends; a VM on its way out
    // refuses the open (ENOENT) and one removed under the reader fails it.
    if (!text || text->empty())
        throw HostError(HostProblem::vm_gone,
                        fmt::format("the VM {} ({}) went away while it was read{}", vm.label(), vm.dir,
                                    error && error != ENOENT ? fmt::format(" ({})", std::strerror(error))
                                                             : std::string()));
    VmFile file = parse_vm_file(*text);
    if (!file.statistics_on)
        throw HostError(HostProblem::statistics_off,
                        "the statistics are off (kvm.exitstats=off): switch them on with "
                        "\"echo vm > /sys/module/kvm/parameters/exitstats\"");
    return file;
}

std::vector<VmSample> sample_vms(const HostPaths& paths, const std::vector<VmId>& vms)
{
    std::vector<VmSample> samples;
    for (const VmId& vm : vms) {
        try {
            samples.push_back({vm, read_vm(paths, vm)});
        } catch (const HostError& e) {
            if (e.problem() != HostProblem::vm_gone)
                throw;
        }
    }
    return samples;
}

}  // namespace kvm_exitstats
