// The terminal's alternate screen for commands that redraw in place, like
// top: the terminal's content is back when the command ends.
#pragma once

#include <ostream>

namespace kvm_exitstats::cli {

constexpr const char* redraw_screen = "\x1b[H\x1b[J";

class LiveScreen {
public:
    LiveScreen(std::ostream& out, bool active) : out_(out), active_(active)
    {
        if (active_)
            out_ << "\x1b[?1049h\x1b[?25l" << std::flush;
    }
    ~LiveScreen()
    {
        if (active_)
            out_ << "\x1b[?25h\x1b[?1049l" << std::flush;
    }
    LiveScreen(const LiveScreen&) = delete;
    LiveScreen& operator=(const LiveScreen&) = delete;

private:
    std::ostream& out_;
    bool active_;
};

}  // namespace kvm_exitstats::cli
