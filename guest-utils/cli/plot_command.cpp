#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <ostream>
#include <sstream>
#include <unistd.h>

#include "commands.hpp"
#include "kvm_exitstats/recording.hpp"

namespace kvm_exitstats::cli {
namespace fs = std::filesystem;

namespace {

bool in_path(const std::string& program)
{
    const char* path = std::getenv("PATH");
    std::istringstream dirs(path ? path : "/usr/bin:/bin");
    for (std::string dir; std::getline(dirs, dir, ':');)
        if (!dir.empty() && access((fs::path(dir) / program).c_str(), X_OK) == 0)
            return true;
    return false;
}

std::optional<PlotFormat> format_of(const std::string& output)
{
    const std::string extension = fs::path(output).extension().string();
    if (extension == ".svg")
        return PlotFormat::svg;
    if (extension == ".png")
        return PlotFormat::png;
    return std::nullopt;
}

// A private directory for gnuplot's input, removed when done.
class WorkDirectory {
public:
    WorkDirectory()
    {
        const char* tmp = std::getenv("TMPDIR");
        std::string pattern = (fs::path(tmp && *tmp ? tmp : "/tmp") / "kvm-exitstats-plot.XXXXXX").string();
        if (mkdtemp(pattern.data()))
            path_ = pattern;
    }
    ~WorkDirectory()
    {
        std::error_code ec;
        if (!path_.empty())
            fs::remove_all(path_, ec);
    }
    WorkDirectory(const WorkDirectory&) = delete;
    WorkDirectory& operator=(const WorkDirectory&) = delete;
    const std::string& path() const { return path_; }

private:
    std::string path_;
};

bool write_text(const std::string& path, const std::string& text)
{
    std::ofstream out(path, std::ios::trunc);
    out << text;
    out.close();
    return static_cast<bool>(out);
}

}  // namespace

int plot_command(const Options& options, Environment& env)
{
    const auto format = format_of(options.output);
    if (!format) {
        env.err << "kvm-exitstats: plot writes SVG or PNG: name the output FILE.svg or FILE.png\n";
        return exit_usage;
    }
    std::ifstream csv(options.input);
    if (!csv) {
        env.err << "kvm-exitstats: cannot read " << options.input << ": " << std::strerror(errno) << '\n';
        return exit_error;
    }
    std::string title, data_text, script_text;
    WorkDirectory work;
    const std::string data = work.path() + "/plot.dat", script = work.path() + "/plot.gp";
    try {
        const Recording recording = parse_recording(csv);
        if (options.latency) {
            const LatencyPlotData plot = make_latency_plot_data(recording, options.top);
            title = plot.title;
            data_text = gnuplot_latency_data(plot);
            script_text = gnuplot_latency_script(plot, data, options.output, *format);
        } else {
            const PlotData plot = make_plot_data(recording, options.top);
            title = plot.title;
            data_text = gnuplot_data(plot);
            script_text = gnuplot_script(plot, data, options.output, *format);
        }
    } catch (const MalformedRecording& e) {
        env.err << "kvm-exitstats: " << options.input << ": " << e.what()
                << " (plot reads what \"host record\" and \"watch --csv\" write)\n";
        return exit_error;
    } catch (const NoLatency& e) {
        env.err << "kvm-exitstats: " << options.input << ": --latency: " << e.what() << '\n';
        return exit_error;
    }
    if (!in_path("gnuplot")) {
        env.err << "kvm-exitstats: plot draws with gnuplot, which is not installed: "
                   "apt install gnuplot-nox\n";
        return exit_no_plotting_tool;
    }
    if (work.path().empty() || !write_text(data, data_text) || !write_text(script, script_text)) {
        env.err << "kvm-exitstats: cannot write gnuplot's input in a temporary directory: "
                << std::strerror(errno) << '\n';
        return exit_error;
    }
    const int status = env.run_command({"gnuplot", script});
    if (status != 0) {
        env.err << "kvm-exitstats: gnuplot failed (exit status " << status << ") drawing " << options.output
                << '\n';
        return exit_error;
    }
    env.out << fmt::format("{}: {}\n", options.output, title);
    return exit_ok;
}

}  // namespace kvm_exitstats::cli
