// The reasons that cost the most host cycles: host, host watch, --vcpus and
// plot --latency rank reasons alike.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "kvm_exitstats/reader.hpp"

namespace kvm_exitstats {

// The reasons, the most cycles first (ties in the order of their codes).
std::vector<std::pair<std::uint32_t, Counts>> by_cycles(const std::map<std::uint32_t, Counts>& reasons);

// "name N%, name N%" for the top reasons by their share of all_cycles, each
// followed by what after_reason says of it; "-" for none.
std::string costliest_reasons_text(Numbering numbering, const std::map<std::uint32_t, Counts>& reasons,
                                   std::uint64_t all_cycles, std::size_t top,
                                   const std::function<std::string(std::uint32_t)>& after_reason = {});

}  // namespace kvm_exitstats
