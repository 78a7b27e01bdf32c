#include <nlohmann/json.hpp>

#include "kvm_exitstats/formats.hpp"
#include "latency_json.hpp"

namespace kvm_exitstats {

namespace {

nlohmann::json report_json(const Report& r)
{
    using nlohmann::json;
    json total = {{"exits", r.total.exits},
                  {"cycles", r.total.cycles},
                  {"avg_cycles", average(r.total.cycles, r.total.exits)}};
    if (auto seconds = cycles_to_seconds(r.info, r.total.cycles))
        total["host_seconds"] = *seconds;

    json reasons = json::array();
    for (const ReasonRow& row : r.rows) {
        json item = {{"reason", row.reason},
                     {"name", row.name},
                     {"exits", row.counts.exits},
                     {"cycles", row.counts.cycles},
                     {"share", share_of(row.counts.exits, r.total.exits)},
                     {"avg_cycles", average(row.counts.cycles, row.counts.exits)}};
        if (r.window_seconds && *r.window_seconds > 0) {
            item["exits_per_second"] = row.counts.exits / *r.window_seconds;
            item["cycles_per_second"] = row.counts.cycles / *r.window_seconds;
        }
        if (row.latency)
            item["latency"] = latency_json(*row.latency);
        reasons.push_back(std::move(item));
    }

    json doc = {{"interface_version", r.info.version},
                {"numbering", std::string(numbering_name(r.info.numbering))},
                {"scope", r.info.scope == Scope::host ? "host" : "vm"},
                {"tsc_khz", r.info.tsc_khz},
                {"total", std::move(total)},
                {"reasons", std::move(reasons)}};
    if (r.window_seconds) {
        doc["window_seconds"] = *r.window_seconds;
        doc["own_exits_removed"] = r.own_exits;
    }
    return doc;
}

}  // namespace

std::string format_json(const Report& report)
{
    return report_json(report).dump(2) + '\n';
}

std::string format_json_line(const Report& report)
{
    return report_json(report).dump() + '\n';
}

}  // namespace kvm_exitstats
