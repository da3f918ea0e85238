#include "app/cli.h"

#include <CLI/CLI.hpp>
#include <curl/curl.h>
#include <sqlite3.h>
#include <uv.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <sstream>
#include <vector>

#include "app/crawl.h"
#include "app/inspect_commands.h"
#include "app/job_config.h"
#include "app/reports/request.h"
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

// `report`'s request from its flags: the format from --format, --json or --html (which must agree), else
// from -o FILE's name, else text; and the accept set that judges broken. Returns why not, or "".
std::string SettleReportRequest(bool json, bool html, std::string format, const std::string& accept_text,
                                ReportRequest& request) {
  std::string flag = json ? "json" : html ? "html" : "";
  if (!flag.empty() && !format.empty() && format != flag) {
    return "--" + flag + " and --format " + format + " disagree; give one";
  }
  if (format.empty()) format = flag;
  if (format.empty() && !request.output.empty() && request.output != "-") {
    // No format given: the file's name says which (report -o run.html, -o run.json).
    std::string ext = std::filesystem::path(request.output).extension().string();
    for (char& c : ext) c = char(std::tolower(static_cast<unsigned char>(c)));
    format = ext == ".html" || ext == ".htm" ? "html" : ext == ".json" ? "json" : ext == ".md" ? "markdown"
           : ext == ".xml"                    ? "junit"
                                              : "";
  }
  if (format.empty()) format = "text";
  // --format is checked against the same words by CLI11; this is for a caller that was not.
  auto parsed = ParseReportFormat(format);
  if (!parsed) return "unknown report format " + format;
  request.format = *parsed;
  if (!accept_text.empty()) {
    std::string why;
    request.accept = storage::AcceptSet::Parse(accept_text, &why);
    if (!request.accept) return "--accept: " + why;
  }
  return "";
}

// prune --keep N: a whole number from 0 to 2^30, or nullopt.
std::optional<int> PruneKeep(const std::string& text) {
  int v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || v < 0 || v > (1 << 30)) return std::nullopt;
  return v;
}

// prune --older-than DAYS: a finite number from 0 to a million, or nullopt.
std::optional<double> PruneDays(const std::string& text) {
  char* end = nullptr;
  double v = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size() || !std::isfinite(v) || v < 0 || v > 1e6) return std::nullopt;
  return v;
}

// `export`: --format, else -o FILE's name (as `report -o` picks its format), else csv.
std::string ExportFormat(const std::string& format, const std::string& output) {
  if (!format.empty()) return format;
  if (!output.empty() && output != "-") {
    std::string ext = std::filesystem::path(output).extension().string();
    for (char& c : ext) c = char(std::tolower(static_cast<unsigned char>(c)));
    if (ext == ".jsonl" || ext == ".ndjson" || ext == ".json") return "jsonl";
  }
  return "csv";
}

}  // namespace

int RunCli(int argc, char** argv) {
  CLI::App app{"greencrawl " GREENCRAWL_VERSION
               " - fetch a list of URLs concurrently and record every outcome in SQLite"};
  app.set_version_flag("--version", VersionText());
  app.require_subcommand(1);
  app.footer("Run 'greencrawl COMMAND --help' for a command's options and exit codes. See README.md and\n"
             "docs/schema.md (the database), docs/errors.md (error classes).");
  // Each command's own exit codes (a subcommand would otherwise show the parent's footer).
  const std::string inspect_footer =
      "Exit codes: 0 done, 2 bad usage, or a database (or run) that cannot be read.";

  CrawlOptions co;
  CrawlArgs args;
  bool print_config = false;
  std::string config;
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
  auto* deny_private = crawl->add_flag("--deny-private", deny_help);
  auto* allow_private = crawl->add_flag("--allow-private", allow_help)->excludes(deny_private);

  std::string db = "greencrawl.db";
  bool json = false;
  auto* runs = app.add_subcommand("runs", "List the runs in a database (a killed run shows as killed)");
  runs->footer(inspect_footer);
  runs->add_option("--db", db, "Results database")->type_name("FILE")->capture_default_str();
  runs->add_flag("--json", json, "JSON for scripts");

  std::optional<int64_t> run;
  size_t top = 10;
  bool all = false;
  auto* report = app.add_subcommand("report", "Counts, percentiles, slowest/largest and broken URLs of a run");
  report->footer(inspect_footer);
  report->add_option("--db", db, "Results database")->type_name("FILE")->capture_default_str();
  report->add_option("--run", run, "Run id (default: the newest)")->type_name("N");
  report->add_option("--top", top, "Rows in the slowest/largest lists (text and json)")->type_name("N")->capture_default_str();
  report->add_flag("--all", all, "List every broken URL and every page linking to it (else 100 and 5; text and json)");
  auto* report_json = report->add_flag("--json", json, "JSON for scripts (--format json)");
  bool html = false;
  std::string html_output;
  report->add_flag("--html", html, "A self-contained HTML page (charts, tables, changes) instead (--format html)")
      ->excludes(report_json);
  std::string report_format, report_accept;
  report->add_option("--format", report_format,
                     "text (default), json, html, junit (a CI test report) or markdown (a PR comment or step summary); "
                     "without it, -o FILE's name picks one (.html/.htm, .json, .md, .xml)")
      ->type_name("FORMAT")
      ->check(CLI::IsMember({"text", "json", "html", "junit", "markdown"}).description(""));
  report->add_option("--accept", report_accept, "Statuses that are not broken, e.g. 200-299,429 (default: the run's own)")
      ->type_name("CODES");
  report->add_option("-o,--output", html_output,
                     "Write to FILE, whole or not at all ('-': stdout; html: {run} in FILE is the run id, default "
                     "report-run-N.html)")
      ->type_name("FILE");

  std::string format, output;
  auto* exp = app.add_subcommand("export", "Every result row of a run as CSV or JSON lines");
  exp->footer(inspect_footer);
  exp->add_option("--db", db, "Results database")->type_name("FILE")->capture_default_str();
  exp->add_option("--run", run, "Run id (default: the newest)")->type_name("N");
  exp->add_option("--format", format,
                  "csv (default) or jsonl; without it, -o FILE's name picks one (.jsonl/.ndjson/.json: jsonl)")
      ->type_name("FORMAT")
      ->check(CLI::IsMember({"csv", "jsonl"}).description(""));
  exp->add_option("-o,--output", output, "Write to FILE instead of standard output")->type_name("FILE");

  // As text, checked below: the messages then name the option and what it wants, not CLI11's range.
  std::string keep_text, older_than_text;
  bool dry_run = false, yes = false;
  auto* prune = app.add_subcommand("prune", "Delete old runs and reclaim their space");
  prune->footer("Exit codes: 0 done, 2 bad usage or an unusable database, 4 a crawl is using the database.");
  prune->add_option("--db", db, "Results database")->type_name("FILE")->capture_default_str();
  prune->add_option("--keep", keep_text, "Keep the newest N runs (0: delete them all, with --yes)")->type_name("N");
  prune->add_option("--older-than", older_than_text, "Delete runs that started more than DAYS ago")
      ->type_name("DAYS");
  prune->add_flag("--dry-run", dry_run, "Only say which runs would go");
  prune->add_flag("--yes", yes, "Delete even when that is every run in the database");
  prune->add_option("--wait-lock", co.wait_lock_s, "Wait up to SECONDS for a running crawl to end")
      ->type_name("SECONDS");

  JoinArgs join_args;
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

  std::optional<int64_t> run_a, run_b;
  double threshold = 10;
  auto* diff = app.add_subcommand(
      "diff", "What changed between two runs (default: the newest and the previous completed run of its list)");
  diff->footer(inspect_footer);
  diff->add_option("RUN_A", run_a, "Older run id")->type_name("");
  diff->add_option("RUN_B", run_b, "Newer run id")->type_name("");
  diff->add_option("--db", db, "Results database")->type_name("FILE")->capture_default_str();
  diff->add_option("--size-threshold", threshold, "Report size changes above this percentage")
      ->type_name("PERCENT")
      ->capture_default_str();
  diff->add_flag("--json", json, "JSON for scripts");

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
      if (deny_private->count() > 0) co.private_addresses = "deny";
      if (allow_private->count() > 0) co.private_addresses = "allow";
      Finalize(co);
      if (print_config) {
        std::cout << EffectiveConfig(co);
        return kExitOk;
      }
      if (co.list.empty() && co.sitemap.empty()) {
        std::cerr << "greencrawl: crawl needs a LIST (or 'list' in the --config file, or --sitemap URL)\n";
        return kExitUsage;
      }
      return RunCrawl(co, std::cout, std::cerr);
    }
    if (*prune) {
      if (keep_text.empty() == older_than_text.empty()) {
        std::cerr << "greencrawl: prune takes --keep N or --older-than DAYS\n";
        return kExitUsage;
      }
      std::optional<int> keep;
      std::optional<double> older_than;
      if (!keep_text.empty()) {
        keep = PruneKeep(keep_text);
        if (!keep) {
          std::cerr << "greencrawl: --keep: '" << keep_text << "' is not a number of runs (a whole number, 0 or more)\n";
          return kExitUsage;
        }
      } else {
        older_than = PruneDays(older_than_text);
        if (!older_than) {
          std::cerr << "greencrawl: --older-than: '" << older_than_text
                    << "' is not a number of days (0 or more, e.g. 30 or 0.5)\n";
          return kExitUsage;
        }
      }
      return PruneRuns(db, keep, older_than, dry_run, yes, co.wait_lock_s, std::cout, std::cerr);
    }
    if (*join) return RunJoin(join_args, std::cout, std::cerr);
    if (*runs) return ShowRuns(db, json, std::cout);
    if (*report) {
      ReportRequest request;
      request.db = db;
      request.run = run;
      request.top = top;
      request.all = all;
      request.output = html_output;
      if (std::string why = SettleReportRequest(json, html, report_format, report_accept, request); !why.empty()) {
        std::cerr << "greencrawl: " << why << "\n";
        return kExitUsage;
      }
      return WriteReport(request, std::cout, std::cerr);
    }
    if (*exp) return ExportResults(db, run, ExportFormat(format, output), output, std::cout);
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
