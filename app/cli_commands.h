// The command line's commands, one Add function each: it adds the subcommand and its options to `app`
// and returns what runs it once CLI11 has parsed the arguments (the options' values live as long as the
// returned CliCommand). RunCli (app/cli.h) is the registry that lists them.
#pragma once

#include <functional>

namespace CLI {
class App;
}

namespace gc {

struct CliCommand {
  CLI::App* sub;             // the subcommand: *sub is true when it was chosen
  std::function<int()> run;  // its exit code; throws for a database it cannot use (RunCli prints that)
};

// The exit codes the commands that only read a database share (shown under their --help).
inline constexpr const char* kInspectFooter =
    "Exit codes: 0 done, 2 bad usage, or a database (or run) that cannot be read.";

CliCommand AddCrawl(CLI::App& app);   // app/cli_crawl.cc
CliCommand AddRuns(CLI::App& app);    // app/cli_inspect.cc, as the four below
CliCommand AddReport(CLI::App& app);
CliCommand AddExport(CLI::App& app);
CliCommand AddPrune(CLI::App& app);
CliCommand AddJoin(CLI::App& app);    // app/cli_crawl.cc
CliCommand AddDiff(CLI::App& app);

}  // namespace gc
