// The CPUID leaves of docs/cpuid-interface.md.
#pragma once

#include <cstdint>

namespace kvm_exitstats::leaf {

constexpr std::uint32_t hypervisor_features = 0x1;  // ecx bit 31: running under a hypervisor
constexpr std::uint32_t hypervisor_vendor = 0x40000000;
constexpr std::uint32_t discovery = 0x4FFFFFF0;
constexpr std::uint32_t info = 0x4FFFFFF1;
constexpr std::uint32_t total_exits64 = 0x4FFFFFF2;
constexpr std::uint32_t reason_exits64 = 0x4FFFFFF3;
constexpr std::uint32_t reason_histogram = 0x4FFFFFF4;  // interface 2
constexpr std::uint32_t reason_bucket = 0x4FFFFFF5;     // interface 2
constexpr std::uint32_t reason_cycles = 0x4FFFFFFC;
constexpr std::uint32_t reason_exits_alt = 0x4FFFFFFD;
constexpr std::uint32_t reason_exits = 0x4FFFFFFE;
constexpr std::uint32_t totals = 0x4FFFFFFF;

// "KVMExitStats" in ebx, ecx, edx.
constexpr std::uint32_t signature_ebx = 0x454d564b;
constexpr std::uint32_t signature_ecx = 0x53746978;
constexpr std::uint32_t signature_edx = 0x73746174;
constexpr std::uint32_t undefined_reason_edx = 0xFFFFFFFF;
constexpr std::uint32_t supported_version = 1;
constexpr std::uint32_t histogram_version = 2;

}  // namespace kvm_exitstats::leaf
