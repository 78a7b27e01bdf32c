#include "process_environment.hpp"

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <ctime>
#include <iostream>
#include <sys/wait.h>
#include <unistd.h>

namespace kvm_exitstats::cli {
namespace {

volatile std::sig_atomic_t interrupted_flag = 0;

void on_interrupt(int)
{
    interrupted_flag = 1;
}

// Without SA_RESTART, so that a sleep ends at once on Ctrl-C.
void catch_interrupts()
{
    struct sigaction action {};
    action.sa_handler = on_interrupt;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, nullptr);
    sigaction(SIGTERM, &action, nullptr);
}

double monotonic_seconds()
{
    using clock = std::chrono::steady_clock;
    return std::chrono::duration<double>(clock::now().time_since_epoch()).count();
}

void sleep_interruptibly(double seconds)
{
    timespec request{};
    request.tv_sec = static_cast<time_t>(seconds);
    request.tv_nsec = static_cast<long>((seconds - static_cast<double>(request.tv_sec)) * 1e9);
    while (!interrupted_flag && nanosleep(&request, &request) != 0 && errno == EINTR) {
    }
}

}  // namespace

int run_child(const std::vector<std::string>& command, std::ostream& err)
{
    std::vector<char*> argv;
    for (const auto& word : command)
        argv.push_back(const_cast<char*>(word.c_str()));
    argv.push_back(nullptr);

    // Like a shell: Ctrl-C goes to the command, and we stay to report.
    struct sigaction ignore {}, old_int {}, old_quit {};
    ignore.sa_handler = SIG_IGN;
    sigaction(SIGINT, &ignore, &old_int);
    sigaction(SIGQUIT, &ignore, &old_quit);

    const pid_t pid = fork();
    if (pid == 0) {
        sigaction(SIGINT, &old_int, nullptr);
        sigaction(SIGQUIT, &old_quit, nullptr);
        signal(SIGINT, SIG_DFL);
        signal(SIGQUIT, SIG_DFL);
        execvp(argv[0], argv.data());
        const int error = errno;
        std::cerr << "kvm-exitstats: cannot run " << command.front() << ": "
                  << std::strerror(error) << '\n';
        _exit(error == ENOENT ? 127 : 126);
    }
    int status = 0;
    int result = -1;
    if (pid > 0) {
        while ((result = waitpid(pid, &status, 0)) < 0 && errno == EINTR) {
        }
    } else {
        err << "kvm-exitstats: cannot start a process: " << std::strerror(errno) << '\n';
    }
    sigaction(SIGINT, &old_int, nullptr);
    sigaction(SIGQUIT, &old_quit, nullptr);
    if (result < 0)
        return 1;
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return WEXITSTATUS(status);
}

Environment process_environment(CpuidSource& cpuid)
{
    catch_interrupts();
    return Environment{
        cpuid,
        std::cout,
        std::cerr,
        isatty(STDOUT_FILENO) == 1,
        monotonic_seconds,
        sleep_interruptibly,
        [] { return interrupted_flag != 0; },
        [](const std::vector<std::string>& command) { return run_child(command, std::cerr); },
        HostPaths{},
        [] { return geteuid() == 0; },
    };
}

}  // namespace kvm_exitstats::cli
