#include "app/cli.h"

#include <CLI/CLI.hpp>

#include <iostream>
#include <map>
#include <sstream>
#include <vector>

#include "app/crawl.h"
#include "app/inspect_commands.h"
#include "app/job_config.h"
#include "app/settings.h"
#include "version.h"

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

}  // namespace

int RunCli(int argc, char** argv) {
  CLI::App app{"greencrawl " GREENCRAWL_VERSION
               " - fetch a list of URLs concurrently and record every outcome in SQLite"};
  app.set_version_flag("--version", GREENCRAWL_VERSION);
  app.require_subcommand(1);
  app.footer(
      "Exit codes: 0 run completed (failed URLs are results), 1 fatal error, 2 bad usage or unreadable\n"
      "list or database, 3 interrupted (resume with --resume), 4 database in use by another crawl,\n"
      "5 a --fail-on threshold was crossed. See README.md and docs/schema.md.");

  CrawlOptions co;
  CrawlArgs args;
  bool print_config = false;
  std::string config;
  auto* crawl = app.add_subcommand("crawl", "Fetch every URL of LIST and record the results");
  crawl->add_option("--config", config, "Job file (TOML) with any of these options; the command line wins")
      ->type_name("FILE");
  crawl->add_flag("--print-config", print_config, "Print the effective settings as a job file and exit");
  AddSettings(crawl, args);

  std::string db = "greencrawl.db";
  bool json = false;
  auto* runs = app.add_subcommand("runs", "List the runs in a database");
  runs->add_option("--db", db, "Results database")->capture_default_str();
  runs->add_flag("--json", json, "JSON for scripts");

  std::optional<int64_t> run;
  size_t top = 10;
  bool all = false;
  auto* report = app.add_subcommand("report", "Counts, percentiles, slowest/largest and broken URLs of a run");
  report->add_option("--db", db, "Results database")->capture_default_str();
  report->add_option("--run", run, "Run id (default: the newest)");
  report->add_option("--top", top, "Rows in the slowest/largest lists")->capture_default_str();
  report->add_flag("--all", all, "List every broken URL and every page linking to it (else 100 and 5)");
  report->add_flag("--json", json, "JSON for scripts");

  std::string format = "csv", output;
  auto* exp = app.add_subcommand("export", "Every result row of a run as CSV or JSON lines");
  exp->add_option("--db", db, "Results database")->capture_default_str();
  exp->add_option("--run", run, "Run id (default: the newest)");
  exp->add_option("--format", format, "csv or jsonl")->capture_default_str()->check(CLI::IsMember({"csv", "jsonl"}));
  exp->add_option("-o,--output", output, "Write to FILE instead of standard output");

  int keep = -1;
  double older_than = -1;
  bool dry_run = false;
  auto* prune = app.add_subcommand("prune", "Delete old runs and reclaim their space");
  prune->add_option("--db", db, "Results database")->capture_default_str();
  prune->add_option("--keep", keep, "Keep the newest N runs")->check(CLI::Range(0, 1 << 30));
  prune->add_option("--older-than", older_than, "Delete runs that started more than DAYS ago")->check(CLI::Range(0.0, 1e6));
  prune->add_flag("--dry-run", dry_run, "Only say which runs would go");
  prune->add_option("--wait-lock", co.wait_lock_s, "Wait up to SECONDS for a running crawl to end");

  std::optional<int64_t> run_a, run_b;
  double threshold = 10;
  auto* diff = app.add_subcommand(
      "diff", "What changed between two runs (default: the newest and the previous completed run of its list)");
  diff->add_option("RUN_A", run_a, "Older run id");
  diff->add_option("RUN_B", run_b, "Newer run id");
  diff->add_option("--db", db, "Results database")->capture_default_str();
  diff->add_option("--size-threshold", threshold, "Report size changes above this percentage")->capture_default_str();
  diff->add_flag("--json", json, "JSON for scripts");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? kExitOk : kExitUsage;
  }

  try {
    if (*crawl) {
      if (!config.empty()) {
        try {
          ApplyJobFile(config, co);
        } catch (const JobFileError& e) {
          std::cerr << "greencrawl: " << e.what() << "\n";
          return kExitUsage;
        }
        co.config = config;
      }
      if (std::string why = ApplyCommandLine(args, co); !why.empty()) {
        std::cerr << "greencrawl: " << why << "\n";
        return kExitUsage;
      }
      Finalize(co, args.options.at("depth")->count() > 0);
      if (print_config) {
        std::cout << EffectiveConfig(co);
        return kExitOk;
      }
      if (co.list.empty()) {
        std::cerr << "greencrawl: crawl needs a LIST (or 'list' in the --config file)\n";
        return kExitUsage;
      }
      return RunCrawl(co, std::cout, std::cerr);
    }
    if (*prune) {
      if ((keep < 0) == (older_than < 0)) {
        std::cerr << "greencrawl: prune takes --keep N or --older-than DAYS\n";
        return kExitUsage;
      }
      return PruneRuns(db, keep >= 0 ? std::optional<int>(keep) : std::nullopt,
                       older_than >= 0 ? std::optional<double>(older_than) : std::nullopt, dry_run, co.wait_lock_s,
                       std::cout, std::cerr);
    }
    if (*runs) return ShowRuns(db, json, std::cout);
    if (*report) return ShowReport(db, run, top, all, json, std::cout);
    if (*exp) return ExportResults(db, run, format, output, std::cout);
    if (*diff) {
      if (run_a.has_value() != run_b.has_value()) {
        std::cerr << "greencrawl: diff takes two run ids, or none for the newest two\n";
        return kExitUsage;
      }
      return ShowDiff(db, run_a, run_b, threshold, json, std::cout);
    }
  } catch (const std::exception& e) {
    std::cerr << "greencrawl: " << e.what() << "\n";
    return kExitUsage;
  }
  return kExitUsage;
}

}  // namespace gc
