// Small text helpers that the output formats share.
#pragma once

#include <cstdint>
#include <string>

namespace kvm_exitstats::text {

// 1234567 -> "1,234,567"
std::string grouped(std::uint64_t n);
// A duration for a table cell: "850ns", "9.1µs", "1.20ms", "2.3s"; cycles
// ("16.4k cycles") when the TSC frequency is unknown (0).
std::string short_duration(double cycles, std::uint32_t tsc_khz);
// A CSV field, quoted when it holds a comma, a quote or a newline.
std::string csv_field(const std::string& text);
// A Prometheus label value: backslash, double quote and newline escaped.
std::string label_value(const std::string& text);
// A metric family's HELP and TYPE lines, appended to out.
void prometheus_family(std::string& out, const char* name, const char* type, const char* help);

}  // namespace kvm_exitstats::text
