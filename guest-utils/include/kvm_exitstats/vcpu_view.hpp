// One VM's vCPUs side by side (`host --vm NAME --vcpus`): which vCPU takes
// the exits and the host cycles, and for what reasons.
#pragma once

#include <cstddef>
#include <string>

#include "kvm_exitstats/vm_file.hpp"

namespace kvm_exitstats {

// "" when the file has no per-vCPU part (modules before 0.4.0), which the
// caller explains.
std::string format_vcpu_table(const VmFile& file, const std::string& subject, std::size_t top_reasons);
std::string format_vcpu_json(const VmFile& file);

}  // namespace kvm_exitstats
