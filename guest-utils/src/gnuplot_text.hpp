// What both of plot's pictures write into gnuplot's script.
#pragma once

#include <fmt/format.h>
#include <string>

#include "kvm_exitstats/recording.hpp"

namespace kvm_exitstats {

// A gnuplot string constant holding `text` as it is.
inline std::string gnuplot_string(const std::string& text)
{
    std::string out = "\"";
    for (char c : text) {
        if (c == '"' || c == '\\')
            out += '\\';
        out += c;
    }
    return out + '"';
}

inline std::string gnuplot_terminal(PlotFormat format, unsigned width, unsigned height,
                                    const std::string& output_path)
{
    return (format == PlotFormat::svg
                ? fmt::format("set terminal svg size {},{} dynamic noenhanced font 'sans,12' background '#ffffff'\n",
                              width, height)
                : fmt::format("set terminal pngcairo size {},{} noenhanced font 'sans,11'\n", width, height)) +
           "set output " + gnuplot_string(output_path) + "\n";
}

}  // namespace kvm_exitstats
