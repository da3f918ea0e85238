// `crawl` and `join`: the commands that fetch. Their options, the settings table's rows among them.
#include <CLI/CLI.hpp>

#include <iostream>
#include <map>
#include <memory>
#include <sstream>
#include <vector>

#include "app/cli_commands.h"
#include "app/crawl.h"
#include "app/job_config.h"
#include "app/settings.h"

namespace gc {
namespace {

// The crawl settings' raw command-line values, before they are checked like a job file's.
struct CrawlArgs {
  std::map<std::string, std::string> text;
  std::map<std::string, std::vector<std::string>> lists;
  std::map<std::string, CLI::Option*> options;
};

// What --help shows as a setting's default.
std::string DefaultText(const Setting& s, const CrawlOptions& defaults) {
  return std::visit(
      [&](const auto& v) -> std::string {
        using V = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<V, int64_t>) {
          return std::to_string(v);
        } else if constexpr (std::is_same_v<V, double>) {
          std::ostringstream out;
          out << v;
          return out.str();
        } else if constexpr (std::is_same_v<V, std::string>) {
          return s.positional ? "" : v;
        } else {
          return "";
        }
      },
      Current(s, defaults));
}

// One option per row of the settings table (app/settings.h). CLI11 only collects the text: ranges and
// types are checked by ApplyCommandLine, in the words a job file's mistakes get.
void AddSettings(CLI::App* crawl, CrawlArgs& args) {
  const CrawlOptions defaults;
  for (const auto& s : Settings()) {
    std::string flags = s.positional ? s.value_name
                                     : (s.short_name.empty() ? "" : "-" + s.short_name + ",") + "--" + s.name;
    CLI::Option* opt = nullptr;
    if (s.type == Setting::Type::kFlag) {
      opt = crawl->add_flag(flags, s.help);
    } else if (s.type == Setting::Type::kList) {
      opt = crawl->add_option(flags, args.lists[s.name], s.help)->allow_extra_args(false);
    } else {
      opt = crawl->add_option(flags, args.text[s.name], s.help);
    }
    if (s.positional) opt->type_name("");
    if (s.type != Setting::Type::kFlag && !s.positional) {
      opt->type_name(s.value_name);
      opt->default_str(DefaultText(s, defaults));
    }
    args.options[s.name] = opt;
  }
}

// Sets every setting given on the command line, checked as a job file's would be. "" or the message.
std::string ApplyCommandLine(const CrawlArgs& args, CrawlOptions& o) {
  for (const auto& s : Settings()) {
    if (args.options.at(s.name)->count() == 0) continue;
    SettingValue v;
    std::string why;
    if (s.type == Setting::Type::kFlag) {
      v = true;
    } else if (s.type == Setting::Type::kList) {
      v = args.lists.at(s.name);
    } else {
      why = ParseText(s, args.text.at(s.name), v);
    }
    if (why.empty()) why = Check(s, v);
    if (!why.empty()) return (s.positional ? s.value_name : "--" + s.name) + ": " + why;
    Assign(s, v, o);
  }
  return "";
}

// What `crawl`'s options are bound to, alive until the command has run.
struct CrawlState {
  CrawlOptions co;
  CrawlArgs args;
  bool print_config = false;
  std::string config;
  CLI::Option* deny_private = nullptr;
  CLI::Option* allow_private = nullptr;
};

int RunCrawlCommand(CrawlState& state) {
  CrawlOptions& co = state.co;
  const std::string& config = state.config;
  if (!config.empty()) {
    try {
      ApplyJobFile(config, co);
    } catch (const JobFileError& e) {
      std::cerr << "greencrawl: " << e.what() << "\n";
      return kExitUsage;
    }
    co.config = config;
  }
  if (std::string why = ApplyCommandLine(state.args, co); !why.empty()) {
    std::cerr << "greencrawl: " << why << "\n";
    return kExitUsage;
  }
  if (state.deny_private->count() > 0) co.private_addresses = "deny";
  if (state.allow_private->count() > 0) co.private_addresses = "allow";
  Finalize(co);
  if (state.print_config) {
    std::cout << EffectiveConfig(co);
    return kExitOk;
  }
  if (co.list.empty() && co.sitemap.empty()) {
    std::cerr << "greencrawl: crawl needs a LIST (or 'list' in the --config file, or --sitemap URL)\n";
    return kExitUsage;
  }
  return RunCrawl(co, std::cout, std::cerr);
}

}  // namespace

CliCommand AddCrawl(CLI::App& app) {
  auto state = std::make_shared<CrawlState>();
  CrawlArgs& args = state->args;
  bool& print_config = state->print_config;
  std::string& config = state->config;
  auto* crawl = app.add_subcommand("crawl", "Fetch every URL of LIST and record the results");
  crawl->footer(
      "Exit codes: 0 run completed (failed URLs are results), 1 fatal error, 2 bad usage or unreadable\n"
      "list or database, 3 interrupted (resume with --resume), 4 database in use by another crawl,\n"
      "5 a --fail-on threshold was crossed.\n"
      "http_proxy, https_proxy and no_proxy are honoured (--proxy overrides them).");
  crawl->add_option("--config", config, "Job file (TOML) with any of these options; the command line wins")
      ->type_name("FILE");
  crawl->add_flag("--print-config", print_config, "Print the effective settings as a job file and exit");
  AddSettings(crawl, args);
  // Conveniences for the private-addresses setting (listed, deny, allow); the flags win over a job file.
  const std::string deny_help =
      "Never connect to loopback, private, link-local or metadata addresses, not even for listed origins";
  const std::string allow_help = "Connect to non-public addresses anywhere (default: only for origins the list names)";
  auto* deny_private = state->deny_private = crawl->add_flag("--deny-private", deny_help);
  state->allow_private = crawl->add_flag("--allow-private", allow_help)->excludes(deny_private);
  return {crawl, [state] { return RunCrawlCommand(*state); }};
}

CliCommand AddJoin(CLI::App& app) {
  auto join_args_owner = std::make_shared<JoinArgs>();
  JoinArgs& join_args = *join_args_owner;
  auto* join = app.add_subcommand(
      "join", "Add this machine as one more worker of a run in a PostgreSQL database (see crawl --db)");
  join->footer(
      "The worker uses the run's own settings; only its concurrency and lease are its own. It exits 0 when\n"
      "the run's frontier is empty. Exit codes as crawl's; 3: this worker was stopped (the others go on).");
  join->add_option("--db", join_args.db, "The run's PostgreSQL database (postgresql://...)")
      ->type_name("URI")
      ->required();
  join->add_option("--run", join_args.run, "Run id (default: the newest unfinished run)")->type_name("N");
  join->add_option("--concurrency", join_args.concurrency, "Transfers in flight at once on this worker")
      ->type_name("N")
      ->check(CLI::Range(1, 100000).description(""));
  join->add_option("--lease", join_args.lease, "Seconds this worker's hold on its hosts lasts unrenewed")
      ->type_name("SECONDS")
      ->check(CLI::Range(1.0, 3600.0).description(""));
  join->add_flag("-q,--quiet", join_args.quiet, "No progress or summary on stderr; only errors");
  return {join, [join_args_owner] { return RunJoin(*join_args_owner, std::cout, std::cerr); }};
}

}  // namespace gc
