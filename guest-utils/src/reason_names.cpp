#include "kvm_exitstats/reason_names.hpp"

#include <algorithm>
#include <asm/svm.h>
#include <asm/vmx.h>
#include <cctype>
#include <charconv>

#include <fmt/format.h>

namespace kvm_exitstats {
namespace {

// SVM_EXIT_REASONS refers to the x86 exception vectors by the kernel's
// internal names, which the uapi headers do not define.
enum ExceptionVector : std::uint32_t {
    DE_VECTOR = 0, DB_VECTOR = 1, BP_VECTOR = 3, OF_VECTOR = 4, BR_VECTOR = 5,
    UD_VECTOR = 6, NM_VECTOR = 7, DF_VECTOR = 8, TS_VECTOR = 10, NP_VECTOR = 11,
    SS_VECTOR = 12, GP_VECTOR = 13, PF_VECTOR = 14, MF_VECTOR = 16, AC_VECTOR = 17,
    MC_VECTOR = 18, XM_VECTOR = 19,
};

// Signed: the SVM table ends with SVM_EXIT_ERR (-1), which is no reason here.
struct NamedReason {
    std::int64_t reason;
    const char* name;
};

constexpr NamedReason vmx_reasons[] = {VMX_EXIT_REASONS};
constexpr NamedReason svm_reasons[] = {SVM_EXIT_REASONS};

// Reasons that 7.x hosts report and older uapi headers (Debian 12's, which
// the guest package is built with) do not name, spelled as 7.3's headers
// spell them. The build's own headers come first where they have them.
constexpr NamedReason newer_vmx_reasons[] = {
    {76, "SEAMCALL"}, {77, "TDCALL"}, {84, "MSR_READ_IMM"}, {85, "MSR_WRITE_IMM"},
};
constexpr NamedReason newer_svm_reasons[] = {
    {0xa5, "buslock"}, {0xa6, "idle-halt"},
};

template <typename Fn>
void for_each_reason(Numbering numbering, Fn&& fn)
{
    if (numbering == Numbering::vmx) {
        for (const auto& r : vmx_reasons)
            fn(r);
        for (const auto& r : newer_vmx_reasons)
            fn(r);
    } else {
        for (const auto& r : svm_reasons)
            fn(r);
        for (const auto& r : newer_svm_reasons)
            fn(r);
    }
}

bool equal_ignoring_case(std::string_view a, std::string_view b)
{
    return a.size() == b.size() &&
           std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) ==
                      std::tolower(static_cast<unsigned char>(y));
           });
}

std::optional<std::uint32_t> parse_number(std::string_view text)
{
    int base = 10;
    if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
        text.remove_prefix(2);
        base = 16;
    }
    std::uint32_t value = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value, base);
    if (error != std::errc() || end != text.data() + text.size() || text.empty())
        return std::nullopt;
    return value;
}

}  // namespace

std::string_view numbering_name(Numbering numbering)
{
    return numbering == Numbering::vmx ? "vmx" : "svm";
}

std::string_view numbering_description(Numbering numbering)
{
    return numbering == Numbering::vmx ? "Intel VMX" : "AMD SVM";
}

std::string reason_name(Numbering numbering, std::uint32_t reason)
{
    std::string name;
    for_each_reason(numbering, [&](const NamedReason& r) {
        if (r.reason == static_cast<std::int64_t>(reason) && name.empty())
            name = r.name;
    });
    if (!name.empty())
        return name;
    return numbering == Numbering::vmx ? fmt::format("reason {}", reason)
                                       : fmt::format("reason {:#x}", reason);
}

std::string reason_label(Numbering numbering, std::uint32_t reason)
{
    return numbering == Numbering::svm ? fmt::format("{} ({:#x})", reason_name(numbering, reason), reason)
                                       : fmt::format("{} ({})", reason_name(numbering, reason), reason);
}

std::optional<std::uint32_t> parse_reason(Numbering numbering, std::string_view text)
{
    if (auto number = parse_number(text))
        return number;
    std::optional<std::uint32_t> found;
    for_each_reason(numbering, [&](const NamedReason& r) {
        if (!found && r.reason >= 0 && equal_ignoring_case(text, r.name))
            found = static_cast<std::uint32_t>(r.reason);
    });
    return found;
}

std::uint32_t cpuid_reason(Numbering numbering)
{
    return numbering == Numbering::vmx ? EXIT_REASON_CPUID : SVM_EXIT_CPUID;
}

}  // namespace kvm_exitstats
