// Names of exit reasons as the Linux uapi headers spell them
// (<asm/vmx.h> VMX_EXIT_REASONS, <asm/svm.h> SVM_EXIT_REASONS).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kvm_exitstats {

enum class Numbering : std::uint32_t { vmx = 1, svm = 2 };

std::string_view numbering_name(Numbering numbering);  // "vmx" or "svm"
std::string_view numbering_description(Numbering numbering);  // "Intel VMX", "AMD SVM"

// The reason's name, or "reason N" (hex on SVM) when the headers have none.
std::string reason_name(Numbering numbering, std::uint32_t reason);

// The name with its code, as tables and legends show it: "npf (0x400)" on
// SVM, "EPT_VIOLATION (48)" on VMX.
std::string reason_label(Numbering numbering, std::uint32_t reason);

// A name (case-insensitive, as reason_name() prints it) or a number
// (decimal or 0x-hex) to a reason.
std::optional<std::uint32_t> parse_reason(Numbering numbering, std::string_view text);

// The reason the CPUID instruction exits with.
std::uint32_t cpuid_reason(Numbering numbering);

}  // namespace kvm_exitstats
