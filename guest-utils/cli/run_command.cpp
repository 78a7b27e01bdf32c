#include <fstream>
#include <ostream>

#include "commands.hpp"

namespace kvm_exitstats::cli {

int run_command(const Options& options, Environment& env)
{
    ExitStatsReader reader(env.cpuid);
    if (int code = require_interface(reader, env))
        return code;

    try {
        const Snapshot before = reader.snapshot();
        const double start = env.now_seconds();
        const int status = env.run_command(options.command);
        const double end = env.now_seconds();
        const Snapshot after = reader.snapshot();
        const std::string report =
            format_report(make_report(subtract(before, after), end - start), options);
        if (options.output.empty()) {
            env.err << "\nVM exits during:";
            for (const auto& word : options.command)
                env.err << ' ' << word;
            env.err << "\n\n" << report;
        } else {
            std::ofstream file(options.output);
            file << report;
            if (!file) {
                env.err << "kvm-exitstats: cannot write " << options.output << '\n';
                return exit_error;
            }
        }
        return status;
    } catch (const InterfaceGone&) {
        return report_interface_gone(env);
    }
}

}  // namespace kvm_exitstats::cli
