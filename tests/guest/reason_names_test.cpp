#include <boost/test/unit_test.hpp>

#include "kvm_exitstats/reason_names.hpp"

using namespace kvm_exitstats;

BOOST_AUTO_TEST_SUITE(reason_names)

BOOST_AUTO_TEST_CASE(vmx_names_follow_the_uapi_header)
{
    BOOST_TEST(reason_name(Numbering::vmx, 1) == "EXTERNAL_INTERRUPT");
    BOOST_TEST(reason_name(Numbering::vmx, 10) == "CPUID");
    BOOST_TEST(reason_name(Numbering::vmx, 48) == "EPT_VIOLATION");
    BOOST_TEST(reason_name(Numbering::vmx, 35) == "reason 35");
}

BOOST_AUTO_TEST_CASE(svm_names_follow_the_uapi_header)
{
    BOOST_TEST(reason_name(Numbering::svm, 0x400) == "npf");
    BOOST_TEST(reason_name(Numbering::svm, 0x72) == "cpuid");
    BOOST_TEST(reason_name(Numbering::svm, 0x7b) == "io");
    BOOST_TEST(reason_name(Numbering::svm, 0x41) == "DB excp");
    BOOST_TEST(reason_name(Numbering::svm, 0x1) == "reason 0x1");
}

BOOST_AUTO_TEST_CASE(reasons_of_7x_hosts_are_named_whatever_the_build_headers)
{
    BOOST_TEST(reason_name(Numbering::vmx, 77) == "TDCALL");
    BOOST_TEST(reason_name(Numbering::vmx, 84) == "MSR_READ_IMM");
    BOOST_TEST(reason_name(Numbering::vmx, 85) == "MSR_WRITE_IMM");
    BOOST_TEST(reason_name(Numbering::vmx, 86) == "reason 86");
    BOOST_TEST(reason_name(Numbering::svm, 0xa5) == "buslock");
    BOOST_TEST(reason_name(Numbering::svm, 0xa6) == "idle-halt");
    BOOST_TEST(parse_reason(Numbering::vmx, "msr_write_imm").value() == 85u);
    BOOST_TEST(parse_reason(Numbering::svm, "IDLE-HALT").value() == 0xa6u);
}

BOOST_AUTO_TEST_CASE(reasons_parse_from_names_and_numbers)
{
    BOOST_TEST(parse_reason(Numbering::vmx, "cpuid").value() == 10u);
    BOOST_TEST(parse_reason(Numbering::vmx, "EPT_VIOLATION").value() == 48u);
    BOOST_TEST(parse_reason(Numbering::svm, "NPF").value() == 0x400u);
    BOOST_TEST(parse_reason(Numbering::svm, "0x72").value() == 0x72u);
    BOOST_TEST(parse_reason(Numbering::vmx, "30").value() == 30u);
    BOOST_TEST(!parse_reason(Numbering::vmx, "npf").has_value());
    BOOST_TEST(!parse_reason(Numbering::svm, "12abc").has_value());
    BOOST_TEST(!parse_reason(Numbering::svm, "").has_value());
    BOOST_TEST(!parse_reason(Numbering::svm, "0x").has_value());
}

BOOST_AUTO_TEST_CASE(the_cpuid_reason_of_each_numbering)
{
    BOOST_TEST(cpuid_reason(Numbering::vmx) == 10u);
    BOOST_TEST(cpuid_reason(Numbering::svm) == 0x72u);
}

BOOST_AUTO_TEST_SUITE_END()
