// The output formats of a report.
#pragma once

#include <cstddef>
#include <string>

#include "kvm_exitstats/report.hpp"

namespace kvm_exitstats {

struct TableOptions {
    bool show_zero_rows = false;
};

// For people: totals and a table of reasons; rates if the report is a window.
std::string format_table(const Report& report, const TableOptions& options);
// For scripts: every defined reason, zero or not.
std::string format_json(const Report& report);
// The same on one line, for `watch` (one object per interval).
std::string format_json_line(const Report& report);
std::string format_csv(const Report& report);
// The node_exporter textfile format; counters since kvm.ko was loaded.
std::string format_prometheus(const Report& report);
// One line per window, for `watch` when the output is not a terminal.
std::string format_rate_line(const Report& report, std::size_t top_reasons);

}  // namespace kvm_exitstats
