#include "kvm_exitstats/text_fields.hpp"

#include <fmt/format.h>

namespace kvm_exitstats::text {

std::string grouped(std::uint64_t n)
{
    const std::string digits = std::to_string(n);
    std::string out;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i && (digits.size() - i) % 3 == 0)
            out += ',';
        out += digits[i];
    }
    return out;
}

std::string short_duration(double cycles, std::uint32_t tsc_khz)
{
    if (tsc_khz == 0)
        return cycles < 10000 ? fmt::format("{:.0f} cycles", cycles) : fmt::format("{:.1f}k cycles", cycles / 1000);
    const double seconds = cycles / (tsc_khz * 1000.0);
    if (seconds < 1e-6)
        return fmt::format("{:.0f}ns", seconds * 1e9);
    if (seconds < 1e-3)
        return fmt::format("{:.1f}µs", seconds * 1e6);
    if (seconds < 1)
        return fmt::format("{:.2f}ms", seconds * 1e3);
    return fmt::format("{:.1f}s", seconds);
}

std::string csv_field(const std::string& text)
{
    if (text.find_first_of(",\"\n") == std::string::npos)
        return text;
    std::string quoted = "\"";
    for (char c : text) {
        if (c == '"')
            quoted += '"';
        quoted += c;
    }
    return quoted + '"';
}

std::string label_value(const std::string& text)
{
    std::string out;
    for (char c : text) {
        if (c == '\\' || c == '"')
            out += '\\';
        if (c == '\n') {
            out += "\\n";
            continue;
        }
        out += c;
    }
    return out;
}

void prometheus_family(std::string& out, const char* name, const char* type, const char* help)
{
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
}

}  // namespace kvm_exitstats::text
