// Exit latency histograms with KVM's LOGHIST buckets (docs/cpuid-interface.md):
// bucket 0 holds exits of 0 cycles, bucket i those of 2^(i-1) to 2^i - 1
// cycles, the last one all longer exits.
#pragma once

#include <array>
#include <cstdint>
#include <optional>

namespace kvm_exitstats {

struct Histogram {
    static constexpr unsigned buckets = 36;

    std::array<std::uint64_t, buckets> count{};
    std::uint64_t max = 0;  // the longest single exit, in cycles

    std::uint64_t exits() const;
    bool empty() const { return exits() == 0; }
    Histogram& operator+=(const Histogram& other);
    bool operator==(const Histogram& other) const { return count == other.count && max == other.max; }
    bool operator!=(const Histogram& other) const { return !(*this == other); }
};

// The cycles bucket i holds: from bucket_low(i) to bucket_high(i), both
// included; the last bucket has no upper bound (UINT64_MAX).
std::uint64_t bucket_low(unsigned bucket);
std::uint64_t bucket_high(unsigned bucket);
unsigned bucket_of(std::uint64_t cycles);

// What every reading of the kernel's histograms keeps: the maximum lies in
// the highest bucket that holds exits (and is 0 when none does).
bool max_in_highest_bucket(const Histogram& histogram);

// The exits of `after` that `before` does not have. The window's maximum is
// exact when it grew in the window, else an upper bound (the lower of the
// old maximum and the end of the window's highest bucket).
Histogram subtract(const Histogram& after, const Histogram& before);

// Without n of its exits, taken from the buckets in proportion to what
// they hold (largest remainders first), for exits known by count only.
Histogram remove_exits(const Histogram& histogram, std::uint64_t n);

// The q-quantile (0 < q <= 1) of the exits' cycles, interpolated linearly
// inside the bucket that holds it (as Prometheus' histogram_quantile does)
// and never above the maximum; none without exits.
std::optional<double> quantile(const Histogram& histogram, double q);

}  // namespace kvm_exitstats
