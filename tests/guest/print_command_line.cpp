// Prints the command line as kvm-exitstats defines it, one line per option
// ("PATH<TAB>NAMES<TAB>value|flag", PATH empty for the report) and per
// subcommand ("PATH<TAB>subcommand<TAB>NAME"), for command_line_docs_test.sh.
#include <iostream>

#include "app.hpp"

int main()
{
    for (const auto& command : kvm_exitstats::cli::command_line_definitions()) {
        for (const auto& option : command.options) {
            std::cout << command.path << '\t';
            for (std::size_t i = 0; i < option.names.size(); ++i)
                std::cout << (i ? "," : "") << option.names[i];
            std::cout << '\t' << (option.takes_value ? "value" : "flag") << '\n';
        }
        for (const auto& sub : command.subcommands)
            std::cout << command.path << "\tsubcommand\t" << sub << '\n';
    }
}
