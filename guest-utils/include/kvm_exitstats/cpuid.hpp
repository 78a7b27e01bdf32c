// The one place the library executes CPUID, behind an interface so tests
// can put a model hypervisor there instead.
#pragma once

#include <cstdint>

namespace kvm_exitstats {

struct CpuidRegs {
    std::uint32_t eax = 0;
    std::uint32_t ebx = 0;
    std::uint32_t ecx = 0;
    std::uint32_t edx = 0;
};

class CpuidSource {
public:
    virtual ~CpuidSource() = default;
    virtual CpuidRegs query(std::uint32_t leaf, std::uint32_t subleaf) = 0;
};

// Executes the CPUID instruction of the processor the program runs on.
class ProcessorCpuid final : public CpuidSource {
public:
    CpuidRegs query(std::uint32_t leaf, std::uint32_t subleaf) override;
};

}  // namespace kvm_exitstats
