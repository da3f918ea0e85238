#include "app/cli.h"

#include <CLI/CLI.hpp>
#include <curl/curl.h>
#include <sqlite3.h>
#include <uv.h>

#include <iostream>
#include <string>
#include <vector>

#include "app/cli_commands.h"
#include "app/crawl.h"
#include "app/settings.h"
#include "version.h"

namespace gc {
namespace {

// "greencrawl 0.1.0 (libcurl 7.88.1, libuv 1.44.2, SQLite 3.40.1, gumbo 0.10.1, toml++ 3.3.0, CLI11 2.1.2)":
// the libraries actually loaded where they can say, else those built against.
std::string VersionText() {
  const curl_version_info_data* curl = curl_version_info(CURLVERSION_NOW);
  return std::string("greencrawl ") + GREENCRAWL_VERSION + " (libcurl " + curl->version + " " +
         (curl->ssl_version ? curl->ssl_version : "no TLS") + ", libuv " + uv_version_string() + ", SQLite " +
         sqlite3_libversion() + ", gumbo " GREENCRAWL_GUMBO_VERSION ", toml++ " GREENCRAWL_TOMLPP_VERSION
         ", CLI11 " CLI11_VERSION ")";
}

// Names a misspelt command or option before CLI11 does: it would say "A subcommand is required" for
// `greencrawl crwal x.txt`, and blame the list for `crawl --concurency 4 x.txt`. "" when all are known.
std::string Misspelt(CLI::App& app, int argc, char** argv) {
  if (argc < 2) return "";
  std::vector<std::string> commands;
  for (const CLI::App* sub : app.get_subcommands({})) commands.push_back(sub->get_name());
  auto did_you_mean = [](const std::string& word, const std::vector<std::string>& candidates) {
    std::string near = word.size() > 2 ? Nearest(word, candidates) : "";  // "-Z": too short to guess
    return near.empty() ? std::string() : "; did you mean " + near + "?";
  };
  std::string first = argv[1];
  CLI::App* sub = nullptr;
  if (first.rfind("-", 0) != 0) {
    for (CLI::App* candidate : app.get_subcommands({})) {
      if (candidate->get_name() == first) sub = candidate;
    }
    if (!sub) {
      std::string list;
      for (const auto& c : commands) list += (list.empty() ? "" : ", ") + c;
      std::string hint = did_you_mean(first, commands);
      return "unknown command '" + first + "'" + (hint.empty() ? "; the commands are " + list : hint);
    }
  }
  CLI::App* scope = sub ? sub : &app;
  std::vector<std::string> longs, shorts;
  for (const CLI::Option* opt : scope->get_options()) {
    for (const auto& n : opt->get_lnames()) longs.push_back("--" + n);
    for (const auto& n : opt->get_snames()) shorts.push_back("-" + n);
  }
  if (!sub) {
    longs.push_back("--version");
  }
  for (int i = sub ? 2 : 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--") break;  // the rest are arguments
    std::string name;
    if (arg.rfind("--", 0) == 0) {
      name = arg.substr(0, arg.find('='));
      if (std::find(longs.begin(), longs.end(), name) != longs.end()) continue;
    } else if (arg.size() >= 2 && arg[0] == '-' && std::isalpha(static_cast<unsigned char>(arg[1]))) {
      name = arg.substr(0, 2);
      if (std::find(shorts.begin(), shorts.end(), name) != shorts.end()) continue;
    } else {
      continue;  // a value, a list, "-" (standard input) or a negative number
    }
    if (!sub) {
      // `greencrawl --depth 2 list.txt`: an option of a command, given before the command.
      for (CLI::App* candidate : app.get_subcommands({})) {
        for (const CLI::Option* opt : candidate->get_options()) {
          if (opt->check_lname(name.substr(name.find_first_not_of('-'))) || opt->check_sname(name.substr(1))) {
            return name + " is an option of '" + candidate->get_name() + "': greencrawl " + candidate->get_name() +
                   " " + name + " ...";
          }
        }
      }
      std::string hint = did_you_mean(name, longs);
      return "unknown option " + name + (hint.empty() ? "; give a command first (greencrawl --help)" : hint);
    }
    std::string hint = did_you_mean(name, longs);
    return "unknown option " + name + " for '" + sub->get_name() + "'" +
           (hint.empty() ? "; greencrawl " + sub->get_name() + " --help lists them" : hint);
  }
  return "";
}

}  // namespace

int RunCli(int argc, char** argv) {
  CLI::App app{"greencrawl " GREENCRAWL_VERSION
               " - fetch a list of URLs concurrently and record every outcome in SQLite"};
  app.set_version_flag("--version", VersionText());
  app.require_subcommand(1);
  app.footer("Run 'greencrawl COMMAND --help' for a command's options and exit codes. See README.md and\n"
             "docs/schema.md (the database), docs/errors.md (error classes).");
  // In the order --help lists them.
  const std::vector<CliCommand> commands = {AddCrawl(app),  AddRuns(app), AddReport(app), AddExport(app),
                                            AddPrune(app), AddJoin(app), AddDiff(app)};

  if (std::string why = Misspelt(app, argc, argv); !why.empty()) {
    std::cerr << "greencrawl: " << why << "\n";
    return kExitUsage;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? kExitOk : kExitUsage;
  }

  try {
    for (const CliCommand& command : commands) {
      if (*command.sub) return command.run();
    }
  } catch (const std::exception& e) {
    std::cerr << "greencrawl: " << e.what() << "\n";
    return kExitUsage;
  }
  return kExitUsage;
}

}  // namespace gc
