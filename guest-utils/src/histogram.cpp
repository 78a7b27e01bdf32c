#include "kvm_exitstats/histogram.hpp"

#include <algorithm>
#include <limits>
#include <vector>

namespace kvm_exitstats {

std::uint64_t Histogram::exits() const
{
    std::uint64_t sum = 0;
    for (std::uint64_t n : count)
        sum += n;
    return sum;
}

Histogram& Histogram::operator+=(const Histogram& other)
{
    for (unsigned i = 0; i < buckets; ++i)
        count[i] += other.count[i];
    max = std::max(max, other.max);
    return *this;
}

std::uint64_t bucket_low(unsigned bucket)
{
    return bucket == 0 ? 0 : std::uint64_t{1} << (bucket - 1);
}

std::uint64_t bucket_high(unsigned bucket)
{
    if (bucket + 1 >= Histogram::buckets)
        return std::numeric_limits<std::uint64_t>::max();
    return bucket == 0 ? 0 : (std::uint64_t{1} << bucket) - 1;
}

unsigned bucket_of(std::uint64_t cycles)
{
    unsigned bucket = 0;
    while (cycles) {
        ++bucket;
        cycles >>= 1;
    }
    return std::min(bucket, Histogram::buckets - 1);
}

bool max_in_highest_bucket(const Histogram& histogram)
{
    for (unsigned i = Histogram::buckets; i-- > 0;)
        if (histogram.count[i])
            return bucket_of(histogram.max) == i;
    return histogram.max == 0;
}

Histogram subtract(const Histogram& after, const Histogram& before)
{
    Histogram window;
    for (unsigned i = 0; i < Histogram::buckets; ++i)
        window.count[i] = after.count[i] >= before.count[i] ? after.count[i] - before.count[i] : 0;
    if (window.empty())
        return window;
    // A maximum that grew was set in the window; otherwise the window's
    // highest bucket bounds it better than the old maximum.
    unsigned highest = Histogram::buckets - 1;
    while (!window.count[highest])
        --highest;
    window.max = after.max > before.max ? after.max : std::min(after.max, bucket_high(highest));
    return window;
}

Histogram remove_exits(const Histogram& histogram, std::uint64_t n)
{
    const std::uint64_t exits = histogram.exits();
    if (n >= exits)
        return {};
    Histogram left = histogram;
    std::vector<std::pair<double, unsigned>> remainders;
    std::uint64_t removed = 0;
    for (unsigned i = 0; i < Histogram::buckets; ++i) {
        const double share = static_cast<double>(histogram.count[i]) * static_cast<double>(n) /
                             static_cast<double>(exits);
        const auto whole = static_cast<std::uint64_t>(share);
        left.count[i] -= whole;
        removed += whole;
        remainders.emplace_back(share - static_cast<double>(whole), i);
    }
    std::stable_sort(remainders.begin(), remainders.end(),
                     [](const auto& a, const auto& b) { return a.first > b.first; });
    for (const auto& [remainder, i] : remainders) {
        if (removed == n)
            break;
        if (left.count[i]) {
            --left.count[i];
            ++removed;
        }
    }
    return left;
}

std::optional<double> quantile(const Histogram& histogram, double q)
{
    const std::uint64_t exits = histogram.exits();
    if (exits == 0)
        return std::nullopt;
    const double rank = std::clamp(q, 0.0, 1.0) * static_cast<double>(exits);
    std::uint64_t below = 0;
    for (unsigned i = 0; i < Histogram::buckets; ++i) {
        const std::uint64_t in_bucket = histogram.count[i];
        if (in_bucket == 0 || static_cast<double>(below + in_bucket) < rank) {
            below += in_bucket;
            continue;
        }
        // The maximum lies in the highest bucket, so it bounds that one.
        const std::uint64_t low = bucket_low(i);
        const std::uint64_t high = std::max(low, std::min(bucket_high(i), histogram.max));
        const double within = (rank - static_cast<double>(below)) / static_cast<double>(in_bucket);
        return static_cast<double>(low) + static_cast<double>(high - low) * within;
    }
    return static_cast<double>(histogram.max);
}

}  // namespace kvm_exitstats
