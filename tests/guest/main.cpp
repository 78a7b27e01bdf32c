#define BOOST_TEST_MODULE kvm_exitstats guest utilities
#include <boost/test/unit_test.hpp>
