// `runs`, `report`, `export`, `prune` and `diff`: the commands that read (or trim) a database. Their options,
// and the checks CLI11 cannot make.
#include <CLI/CLI.hpp>

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>

#include "app/cli_commands.h"
#include "app/crawl.h"
#include "app/inspect_commands.h"
#include "app/reports/request.h"

namespace gc {
namespace {

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

CliCommand AddRuns(CLI::App& app) {
  struct State {
    std::string db = "greencrawl.db";
    bool json = false;
  };
  auto state = std::make_shared<State>();
  std::string& db = state->db;
  bool& json = state->json;
  auto* runs = app.add_subcommand("runs", "List the runs in a database (a killed run shows as killed)");
  runs->footer(kInspectFooter);
  runs->add_option("--db", db, "Results database")->type_name("FILE")->capture_default_str();
  runs->add_flag("--json", json, "JSON for scripts");
  return {runs, [state] { return ShowRuns(state->db, state->json, std::cout); }};
}

CliCommand AddReport(CLI::App& app) {
  struct State {
    std::string db = "greencrawl.db";
    std::optional<int64_t> run;
    size_t top = 10;
    bool all = false, json = false, html = false;
    std::string html_output, report_format, report_accept;
  };
  auto state = std::make_shared<State>();
  std::string& db = state->db;
  std::optional<int64_t>& run = state->run;
  size_t& top = state->top;
  bool &all = state->all, &json = state->json, &html = state->html;
  std::string &html_output = state->html_output, &report_format = state->report_format,
              &report_accept = state->report_accept;
  auto* report = app.add_subcommand("report", "Counts, percentiles, slowest/largest and broken URLs of a run");
  report->footer(kInspectFooter);
  report->add_option("--db", db, "Results database")->type_name("FILE")->capture_default_str();
  report->add_option("--run", run, "Run id (default: the newest)")->type_name("N");
  report->add_option("--top", top, "Rows in the slowest/largest lists (text and json)")->type_name("N")->capture_default_str();
  report->add_flag("--all", all, "List every broken URL and every page linking to it (else 100 and 5; text and json)");
  auto* report_json = report->add_flag("--json", json, "JSON for scripts (--format json)");
  report->add_flag("--html", html, "A self-contained HTML page (charts, tables, changes) instead (--format html)")
      ->excludes(report_json);
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
  return {report, [state]() -> int {
            ReportRequest request;
            request.db = state->db;
            request.run = state->run;
            request.top = state->top;
            request.all = state->all;
            request.output = state->html_output;
            if (std::string why = SettleReportRequest(state->json, state->html, state->report_format,
                                                      state->report_accept, request);
                !why.empty()) {
              std::cerr << "greencrawl: " << why << "\n";
              return kExitUsage;
            }
            return WriteReport(request, std::cout, std::cerr);
          }};
}

CliCommand AddExport(CLI::App& app) {
  struct State {
    std::string db = "greencrawl.db";
    std::optional<int64_t> run;
    std::string format, output;
  };
  auto state = std::make_shared<State>();
  std::string &db = state->db, &format = state->format, &output = state->output;
  std::optional<int64_t>& run = state->run;
  auto* exp = app.add_subcommand("export", "Every result row of a run as CSV or JSON lines");
  exp->footer(kInspectFooter);
  exp->add_option("--db", db, "Results database")->type_name("FILE")->capture_default_str();
  exp->add_option("--run", run, "Run id (default: the newest)")->type_name("N");
  exp->add_option("--format", format,
                  "csv (default) or jsonl; without it, -o FILE's name picks one (.jsonl/.ndjson/.json: jsonl)")
      ->type_name("FORMAT")
      ->check(CLI::IsMember({"csv", "jsonl"}).description(""));
  exp->add_option("-o,--output", output, "Write to FILE instead of standard output")->type_name("FILE");
  return {exp, [state] {
            return ExportResults(state->db, state->run, ExportFormat(state->format, state->output), state->output,
                                 std::cout);
          }};
}

CliCommand AddPrune(CLI::App& app) {
  struct State {
    std::string db = "greencrawl.db";
    // As text, checked below: the messages then name the option and what it wants, not CLI11's range.
    std::string keep_text, older_than_text;
    bool dry_run = false, yes = false;
    double wait_lock_s = CrawlOptions().wait_lock_s;
  };
  auto state = std::make_shared<State>();
  std::string &db = state->db, &keep_text = state->keep_text, &older_than_text = state->older_than_text;
  bool &dry_run = state->dry_run, &yes = state->yes;
  double& wait_lock_s = state->wait_lock_s;
  auto* prune = app.add_subcommand("prune", "Delete old runs and reclaim their space");
  prune->footer("Exit codes: 0 done, 2 bad usage or an unusable database, 4 a crawl is using the database.");
  prune->add_option("--db", db, "Results database")->type_name("FILE")->capture_default_str();
  prune->add_option("--keep", keep_text, "Keep the newest N runs (0: delete them all, with --yes)")->type_name("N");
  prune->add_option("--older-than", older_than_text, "Delete runs that started more than DAYS ago")
      ->type_name("DAYS");
  prune->add_flag("--dry-run", dry_run, "Only say which runs would go");
  prune->add_flag("--yes", yes, "Delete even when that is every run in the database");
  prune->add_option("--wait-lock", wait_lock_s, "Wait up to SECONDS for a running crawl to end")
      ->type_name("SECONDS");
  return {prune, [state]() -> int {
            const std::string &keep_text = state->keep_text, &older_than_text = state->older_than_text;
            if (keep_text.empty() == older_than_text.empty()) {
              std::cerr << "greencrawl: prune takes --keep N or --older-than DAYS\n";
              return kExitUsage;
            }
            std::optional<int> keep;
            std::optional<double> older_than;
            if (!keep_text.empty()) {
              keep = PruneKeep(keep_text);
              if (!keep) {
                std::cerr << "greencrawl: --keep: '" << keep_text
                        << "' is not a number of runs (a whole number, 0 or more)\n";
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
            return PruneRuns(state->db, keep, older_than, state->dry_run, state->yes, state->wait_lock_s, std::cout,
                             std::cerr);
          }};
}

CliCommand AddDiff(CLI::App& app) {
  struct State {
    std::string db = "greencrawl.db";
    std::optional<int64_t> run_a, run_b;
    double threshold = 10;
    bool json = false;
  };
  auto state = std::make_shared<State>();
  std::string& db = state->db;
  std::optional<int64_t> &run_a = state->run_a, &run_b = state->run_b;
  double& threshold = state->threshold;
  bool& json = state->json;
  auto* diff = app.add_subcommand(
      "diff", "What changed between two runs (default: the newest and the previous completed run of its list)");
  diff->footer(kInspectFooter);
  diff->add_option("RUN_A", run_a, "Older run id")->type_name("");
  diff->add_option("RUN_B", run_b, "Newer run id")->type_name("");
  diff->add_option("--db", db, "Results database")->type_name("FILE")->capture_default_str();
  diff->add_option("--size-threshold", threshold, "Report size changes above this percentage")
      ->type_name("PERCENT")
      ->capture_default_str();
  diff->add_flag("--json", json, "JSON for scripts");
  return {diff, [state]() -> int {
            if (state->run_a.has_value() != state->run_b.has_value()) {
              std::cerr << "greencrawl: diff takes two run ids, or none for the newest two\n";
              return kExitUsage;
            }
            return ShowDiff(state->db, state->run_a, state->run_b, state->threshold, state->json, std::cout);
          }};
}

}  // namespace gc
