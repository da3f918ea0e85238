#include "app/cli.h"

#include <CLI/CLI.hpp>

#include <iostream>

#include "app/crawl.h"
#include "app/inspect_commands.h"
#include "app/job_config.h"
#include "app/report_html.h"
#include "version.h"

namespace gc {

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
  bool print_config = false;
  auto* crawl = app.add_subcommand("crawl", "Fetch every URL of LIST and record the results");
  crawl->add_option("LIST", co.list, "File of URLs, one per line ('-' for standard input); blank lines and #comments skipped");
  crawl->add_option("--config", co.config, "Job file (TOML) with any of these options; the command line wins");
  crawl->add_flag("--print-config", print_config, "Print the effective settings as a job file and exit");
  crawl->add_option("--db", co.db, "Results database")->capture_default_str();
  crawl->add_option("--concurrency", co.concurrency, "Transfers in flight at once")
      ->capture_default_str()->check(CLI::Range(1, 100000));
  crawl->add_option("--per-host", co.per_host, "Transfers in flight per host (0: only --concurrency limits)")
      ->capture_default_str()->check(CLI::Range(0, 100000));
  crawl->add_option("--delay", co.delay_ms, "Minimum milliseconds between two requests to the same host")
      ->capture_default_str()->check(CLI::Range(0, 3600000));
  crawl->add_option("--timeout", co.timeout_s, "Seconds one transfer may take in all")
      ->capture_default_str()->check(CLI::Range(0.1, 86400.0));
  crawl->add_option("--max-size", co.max_size_text, "Largest decoded body to read (K, M, G suffixes); larger is 'too_large'")
      ->capture_default_str();
  crawl->add_option("--user-agent", co.user_agent, "User-Agent header (default greencrawl/" GREENCRAWL_VERSION ")");
  crawl->add_option("--header", co.headers, "Extra request header 'Name: value' (repeatable)")
      ->allow_extra_args(false);
  crawl->add_flag("--resume", co.resume, "Continue the newest unfinished run in --db (else start a new one)");
  crawl->add_flag("--quiet", co.quiet, "No progress or summary on stderr; only errors");
  crawl->add_flag("--json", co.json, "Print the end summary as JSON on stdout");
  crawl->add_flag("--insecure", co.insecure, "Do not verify TLS certificates");
  crawl->add_option("--cacert", co.cacert, "Trust the CA certificates in this PEM file instead of the system's")
      ->check(CLI::ExistingFile);
  auto* deny_private = crawl->add_flag_callback(
      "--deny-private", [&co] { co.private_addresses = "deny"; },
      "Never connect to loopback, private, link-local or metadata addresses, not even for listed hosts");
  crawl->add_flag_callback(
      "--allow-private", [&co] { co.private_addresses = "allow"; },
      "Connect to non-public addresses anywhere (default: only for hosts the list names)")
      ->excludes(deny_private);
  crawl->add_option("--depth", co.depth, "Follow links this many hops from the listed URLs (0: only the list)")
      ->capture_default_str()->check(CLI::Range(0, 1000));
  crawl->add_option("--scope", co.scope, "Where links may lead: host, domain (registrable), prefix (path), any")
      ->capture_default_str()->check(CLI::IsMember({"host", "domain", "prefix", "any"}));
  crawl->add_option("--include", co.include, "Follow only URLs matching this POSIX extended regex (repeatable)")
      ->allow_extra_args(false);
  crawl->add_option("--exclude", co.exclude, "Never follow URLs matching this POSIX extended regex (repeatable)")
      ->allow_extra_args(false);
  crawl->add_option("--max-pages", co.max_pages, "Stop following links after this many URLs in all (0: no limit)")
      ->capture_default_str()->check(CLI::Range(int64_t(0), int64_t(1) << 40));
  crawl->add_flag("--ignore-nofollow", co.ignore_nofollow, "Follow rel=nofollow links and meta-nofollow pages too");
  crawl->add_flag("--ignore-robots", co.ignore_robots, "Do not fetch or honour robots.txt when following links");
  crawl->add_option("--max-crawl-delay", co.max_crawl_delay_s, "Obey a robots.txt Crawl-delay up to this many seconds (default 30)")
      ->check(CLI::Range(0.0, 86400.0));
  crawl->add_option("--conditional", co.conditional,
                    "Send If-None-Match/If-Modified-Since from the previous run: auto (if there is one), on, off")
      ->capture_default_str()->check(CLI::IsMember({"auto", "on", "off"}));
  crawl->add_option("--retries", co.retries, "Extra attempts for timeouts, resets, 429 and 503")
      ->capture_default_str()->check(CLI::Range(0, 20));
  crawl->add_option("--retry-delay", co.retry_delay_ms, "First retry backoff in ms (doubles; Retry-After wins if longer)")
      ->capture_default_str()->check(CLI::Range(0, 3600000));
  crawl->add_option("--fail-on", co.fail_on, "Exit 5 when a threshold is crossed: errors>5%, broken>10, changed>0 (repeatable)")
      ->allow_extra_args(false);
  crawl->add_option("--wait-lock", co.wait_lock_s, "Wait up to SECONDS for another crawl of the database to end")
      ->capture_default_str()->check(CLI::Range(0.0, 86400.0));
  crawl->add_option("--report-html", co.report_html, "At the end, write the run's HTML report to FILE ({run}: the run id)");

  std::string db = "greencrawl.db";
  bool json = false;
  auto* runs = app.add_subcommand("runs", "List the runs in a database");
  runs->add_option("--db", db, "Results database")->capture_default_str();
  runs->add_flag("--json", json, "JSON for scripts");

  std::optional<int64_t> run;
  size_t top = 10;
  auto* report = app.add_subcommand("report", "Counts, percentiles, slowest/largest and broken URLs of a run");
  report->add_option("--db", db, "Results database")->capture_default_str();
  report->add_option("--run", run, "Run id (default: the newest)");
  report->add_option("--top", top, "Rows in the slowest/largest lists")->capture_default_str();
  auto* report_json = report->add_flag("--json", json, "JSON for scripts");
  bool html = false;
  std::string html_output;
  auto* report_html = report->add_flag("--html", html, "A self-contained HTML page (charts, tables, changes) instead")
                          ->excludes(report_json);
  report->add_option("-o,--output", html_output, "With --html: the file (default report-run-N.html; '-': stdout)")
      ->needs(report_html);

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
  auto* diff = app.add_subcommand("diff", "What changed between two runs (default: the newest two)");
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
      if (!co.config.empty()) {
        try {
          ApplyJobFile(co.config, co, [&](const std::string& key) {
            if (key == "list") return crawl->get_option("LIST")->count() > 0;
            return crawl->get_option("--" + key)->count() > 0;
          });
        } catch (const JobFileError& e) {
          std::cerr << "greencrawl: " << e.what() << "\n";
          return kExitUsage;
        }
      }
      if (print_config) {
        std::cout << EffectiveConfig(co);
        return kExitOk;
      }
      if (co.list.empty()) {
        std::cerr << "greencrawl: crawl needs a LIST (or 'list' in the --config file)\n";
        return kExitUsage;
      }
      co.max_size = ParseSize(co.max_size_text);
      if (co.max_size <= 0) {
        std::cerr << "greencrawl: --max-size: not a size: " << co.max_size_text << " (try 64M)\n";
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
    if (*report && html) return WriteReportHtml(db, run, html_output, std::cout, std::cerr);
    if (*report) return ShowReport(db, run, top, json, std::cout);
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
