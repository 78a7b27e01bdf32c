// For the tests of parsers that refuse bad input with a message.
#pragma once

#include <boost/test/unit_test.hpp>
#include <string>

// parse(text) throws Error with a message that contains `expected`.
template <typename Error, typename Parse>
void expect_refused(Parse parse, const std::string& text, const std::string& expected)
{
    BOOST_TEST_CONTEXT(text)
    {
        try {
            parse(text);
            BOOST_ERROR("parsed");
        } catch (const Error& e) {
            BOOST_TEST(std::string(e.what()).find(expected) != std::string::npos, e.what());
        }
    }
}
