// The VMs of this host as kvm-exitstats' KVM shows them in debugfs, and why
// they cannot be read when they cannot.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "kvm_exitstats/vm_file.hpp"

namespace kvm_exitstats {

// Where the host's files are; everything under root ("/" on a real host).
struct HostPaths {
    std::string root = "/";

    std::string kvm_debugfs() const;  // sys/kernel/debug/kvm
    std::string debugfs() const;      // sys/kernel/debug
    std::string kvm_module() const;   // sys/module/kvm
    std::string exitstats_parameter() const;
    std::string mounts() const;       // proc/self/mounts
    std::string proc_of(int pid) const;
    std::string dkms_helper() const;  // kvm-exitstats-dkms's maintainer-script helper
};

// Why the host's statistics cannot be read; each has its own exit code.
enum class HostProblem {
    not_root,
    debugfs_not_mounted,
    kvm_not_loaded,
    stock_kvm,
    statistics_off,
    no_such_vm,
    vm_gone,
};

class HostError : public std::runtime_error {
public:
    HostError(HostProblem problem, const std::string& message)
        : std::runtime_error(message), problem_(problem)
    {
    }
    HostProblem problem() const { return problem_; }

private:
    HostProblem problem_;
};

struct VmId {
    int pid = 0;
    std::string dir;   // "PID-FD", KVM's name of the VM's directory
    std::string name;  // QEMU's -name (libvirt's domain name), "" if none

    // The name, or "pid PID" for a VM without one.
    std::string label() const;
};

struct VmSample {
    VmId id;
    VmFile file;
};

// Throws HostError unless KVM with kvm-exitstats is loaded, its statistics
// are on and its debugfs can be read; checked in that order, so the first
// thing to fix is named first.
void check_host(const HostPaths& paths, bool running_as_root);

// The VMs with an exitstats file, by PID, then by directory.
std::vector<VmId> list_vms(const HostPaths& paths);
// Only their directories ("PID-FD"), sorted: no process is looked at, so
// it is cheap to poll.
std::vector<std::string> list_vm_dirs(const HostPaths& paths);

// A VM by PID, PID-FD or name; throws HostError (no_such_vm) if none or,
// for a name or PID with several VMs, if it is not one VM.
VmId find_vm(const std::vector<VmId>& vms, const std::string& wanted);

// Reads one VM's file; throws HostError (vm_gone) if the VM ended, and
// HostError (statistics_off) if the file says the statistics are off.
VmFile read_vm(const HostPaths& paths, const VmId& vm);

// Reads every VM in the list; a VM that ended meanwhile is left out.
std::vector<VmSample> sample_vms(const HostPaths& paths, const std::vector<VmId>& vms);

// The value of -name in a QEMU command line: "guest=NAME,..." (libvirt),
// "NAME,..." or "NAME"; "" if there is none.
std::string qemu_vm_name(const std::vector<std::string>& argv);

}  // namespace kvm_exitstats
