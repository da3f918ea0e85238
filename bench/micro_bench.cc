// Micro-benchmarks (Google Benchmark): greenlet spawn and switch cost, parse MB/s, URL canonicalisation
// per second, SQLite rows/s per batch size (each flush runs on the loop thread: its time is the loop's
// stall), one robots.txt check against a hostile file (issue 15.4). Run with bench/micro.sh.
#include <benchmark/benchmark.h>
#include <gumbo.h>
#include <stdlib.h>

#include <clocale>
#include <filesystem>
#include <string>

#include "greenlet/spawn.h"
#include "parser/page_parser.h"
#include "storage/result_store.h"
#include "urls/robots.h"
#include "urls/url.h"

namespace {

gc::Task<void> Nothing() { co_return; }

gc::Task<void> Yielder(int n) {
  for (int i = 0; i < n; ++i) co_await gc::Yield();
}

void BM_SpawnAndFinish(benchmark::State& state) {
  gc::Hub hub;
  for (auto _ : state) {
    for (int i = 0; i < 1000; ++i) gc::Spawn(Nothing);
    hub.Run();
  }
  state.SetItemsProcessed(state.iterations() * 1000);
}
BENCHMARK(BM_SpawnAndFinish);

void BM_SwitchBetweenTwo(benchmark::State& state) {
  gc::Hub hub;
  for (auto _ : state) {
    gc::Spawn(Yielder, 10'000);
    gc::Spawn(Yielder, 10'000);
    hub.Run();
  }
  state.SetItemsProcessed(state.iterations() * 20'000);
}
BENCHMARK(BM_SwitchBetweenTwo);

std::string SamplePage(size_t bytes) {
  std::string html = "<!doctype html><html><head><meta charset=utf-8><title>A sample page of the site</title>"
                     "<link rel=canonical href=/canon></head><body><h1>Heading</h1>";
  int i = 0;
  while (html.size() < bytes) {
    html += "<p>Some text of the page, with <a href=\"/d" + std::to_string(i % 7) + "/page" + std::to_string(i) +
            ".html\">a link</a> and <b>markup</b>.</p>\n";
    ++i;
  }
  return html + "</body></html>";
}

void BM_ParsePage(benchmark::State& state) {
  std::string page = SamplePage(10 * 1024);
  gc::ParseOptions o;
  o.links = state.range(0) == 1;
  for (auto _ : state) {
    auto info = gc::ParsePage(page, "http://example.com/d1/index.html", "text/html", o);
    benchmark::DoNotOptimize(info);
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(page.size()));
  state.SetLabel(o.links ? "title+links" : "title only (head)");
}
BENCHMARK(BM_ParsePage)->Arg(1)->Arg(0);

// The floor under BM_ParsePage: gumbo's own parse of the same page, nothing extracted.
void BM_GumboOnly(benchmark::State& state) {
  std::string page = SamplePage(10 * 1024);
  for (auto _ : state) {
    GumboOutput* out = gumbo_parse_with_options(&kGumboDefaultOptions, page.data(), page.size());
    benchmark::DoNotOptimize(out);
    gumbo_destroy_output(&kGumboDefaultOptions, out);
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(page.size()));
}
BENCHMARK(BM_GumboOnly);

// A page of ../shared/bench/site.py (the list cases' pages) as nginx serves it: "text/html", no charset
// parameter, a short <head>. The title-only parse is what a list crawl runs inline on the loop per page.
std::string SitePage() {
  std::string html = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                     "<title>Page 0: parse stone river</title>\n</head>\n<body>\n<h1 id=\"top\">Page 0</h1>\n";
  while (html.size() < 10 * 1024) html += "<p>Anchor mountain document connection anchor green store archive.</p>\n";
  return html + "</body></html>";
}

void BM_TitleSitePage(benchmark::State& state) {
  std::string page = SitePage();
  gc::ParseOptions o;
  o.links = false;
  for (auto _ : state) {
    auto info = gc::ParsePage(page, "http://127.0.0.1:18092/d0/page0.html", "text/html", o);
    benchmark::DoNotOptimize(info);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TitleSitePage);

// gumbo alone on that page's <head>: the floor under BM_TitleSitePage.
void BM_GumboSiteHead(benchmark::State& state) {
  std::string page = SitePage();
  std::string_view head = std::string_view(page).substr(0, page.find("<body"));
  GumboOptions gopts = kGumboDefaultOptions;
  gopts.max_errors = 0;
  for (auto _ : state) {
    GumboOutput* out = gumbo_parse_with_options(&gopts, head.data(), head.size());
    benchmark::DoNotOptimize(out);
    gumbo_destroy_output(&gopts, out);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_GumboSiteHead);

void BM_Canonicalize(benchmark::State& state) {
  const std::string urls[] = {"HTTP://Example.COM:80/a/./b/../c?q=1#f", "https://example.org/~user/%7e/x",
                              "http://127.0.0.1:18080/d3/page123.html"};
  size_t i = 0;
  for (auto _ : state) benchmark::DoNotOptimize(gc::urls::Canonicalize(urls[i++ % 3]));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Canonicalize);

void BM_Resolve(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(gc::urls::Resolve("http://example.com/dir/page.html", "../other/x.html?y=1"));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Resolve);

// 500 KiB of distinct "Disallow: /*aaa...b" rules against a 20 KB path (issue 15.4: ~10 s per check
// before the linear matcher). Arg 0: the path is all 'a' (byte masks settle every rule); arg 1: the path
// ends in "cb", so every rule searches the whole path until the step budget refuses it.
void BM_RobotsHostile(benchmark::State& state) {
  std::string text = "User-agent: *\n";
  for (size_t k = 1; text.size() < 500 * 1024; ++k) text += "Disallow: /*" + std::string(k, 'a') + "b\n";
  gc::urls::Robots robots = gc::urls::Robots::Parse(text, "greencrawl");
  std::string path = "/" + std::string(20000, 'a') + (state.range(0) == 1 ? "cb" : "");
  gc::urls::Robots::Verdict v;
  for (auto _ : state) {
    v = robots.Check(path);
    benchmark::DoNotOptimize(v);
  }
  state.counters["steps"] = double(v.steps);
  state.SetLabel(v.over_budget ? "over budget, refused" : "decided");
}
BENCHMARK(BM_RobotsHostile)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

void BM_StoreFlush(benchmark::State& state) {
  char tmpl[] = "/tmp/greencrawl-bench-XXXXXX";
  std::string dir = mkdtemp(tmpl);
  {
    gc::storage::ResultStore store(dir + "/b.db");
    int64_t run = store.BeginRun("bench", "{}", "bench");
    const int batch = int(state.range(0));
    int64_t n = 0;
    for (auto _ : state) {
      state.PauseTiming();
      for (int i = 0; i < batch; ++i) {
        gc::storage::ResultRow r;
        r.url = "http://127.0.0.1:18080/d" + std::to_string(n % 10) + "/page" + std::to_string(n) + ".html";
        ++n;
        r.status = 200;
        r.size = 10240;
        r.title = "A sample page of the site";
        r.content_type = "text/html";
        r.fetched_at = gc::storage::UtcNow();
        r.content_hash = "0123456789abcdef";
        r.total_ms = 1.5;
        r.in_frontier = false;
        store.Record(run, std::move(r));
      }
      state.ResumeTiming();
      store.Flush();  // the part that runs on the loop thread
    }
    state.SetItemsProcessed(state.iterations() * batch);
  }
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_StoreFlush)->Arg(1)->Arg(10)->Arg(100)->Arg(1000)->Arg(10000)->Unit(benchmark::kMicrosecond);

}  // namespace

int main(int argc, char** argv) {
  std::setlocale(LC_CTYPE, "C.UTF-8");
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
