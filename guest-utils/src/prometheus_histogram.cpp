#include "prometheus_histogram.hpp"

#include <fmt/format.h>

namespace kvm_exitstats {

void append_duration_histogram(std::string& out, const std::string& name, const std::string& labels,
                               const Histogram& histogram, std::uint64_t cycles, std::uint32_t tsc_khz)
{
    const double hertz = static_cast<double>(tsc_khz) * 1000.0;
    std::uint64_t cumulative = 0;
    for (unsigned i = 0; i + 1 < Histogram::buckets; ++i) {
        cumulative += histogram.count[i];
        out += fmt::format("{}_bucket{{{},le=\"{:.4g}\"}} {}\n", name, labels,
                           static_cast<double>(bucket_high(i)) / hertz, cumulative);
    }
    out += fmt::format("{}_bucket{{{},le=\"+Inf\"}} {}\n", name, labels, histogram.exits());
    out += fmt::format("{}_sum{{{}}} {:.9g}\n", name, labels, static_cast<double>(cycles) / hertz);
    out += fmt::format("{}_count{{{}}} {}\n", name, labels, histogram.exits());
}

}  // namespace kvm_exitstats
