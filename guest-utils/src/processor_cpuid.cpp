#include "kvm_exitstats/cpuid.hpp"

#include <cpuid.h>

namespace kvm_exitstats {

CpuidRegs ProcessorCpuid::query(std::uint32_t leaf, std::uint32_t subleaf)
{
    CpuidRegs r;
    __cpuid_count(leaf, subleaf, r.eax, r.ebx, r.ecx, r.edx);
    return r;
}

}  // namespace kvm_exitstats
