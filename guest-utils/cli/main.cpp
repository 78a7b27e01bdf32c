// kvm-exitstats on a real guest: the processor's CPUID, real time, and
// commands run as child processes.
#include <iostream>
#include <unistd.h>

#include "app.hpp"
#include "process_environment.hpp"

int main(int argc, char** argv)
{
    kvm_exitstats::ProcessorCpuid cpuid;
    kvm_exitstats::cli::Environment env = kvm_exitstats::cli::process_environment(cpuid);
    return kvm_exitstats::cli::run_app(argc, argv, env);
}
