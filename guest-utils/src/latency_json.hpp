// A histogram in the JSON outputs: exact buckets, estimated percentiles.
#pragma once

#include <nlohmann/json.hpp>

#include "kvm_exitstats/histogram.hpp"

namespace kvm_exitstats {

inline nlohmann::json latency_json(const Histogram& h)
{
    nlohmann::json latency = {{"max_cycles", h.max}, {"buckets", h.count}};
    for (auto [name, q] : {std::pair{"p50_cycles", 0.5}, {"p90_cycles", 0.9}, {"p99_cycles", 0.99}})
        if (auto value = quantile(h, q))
            latency[name] = *value;
    return latency;
}

}  // namespace kvm_exitstats
