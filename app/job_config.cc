#include "app/job_config.h"

#include <toml++/toml.h>

#include <sstream>
#include <vector>

namespace gc {
namespace {

// One setting of a job file: how to read it into the options and write it back out (--print-config).
struct Key {
  const char* name;
  std::function<bool(const toml::node&, CrawlOptions&)> read;  // false when the value's type is wrong
  std::function<void(const CrawlOptions&, toml::table&)> write;
  const char* expected;
};

// A scalar setting stored in `field`, read from TOML as T.
template <typename T, typename Field>
Key Scalar(const char* name, Field CrawlOptions::*field, const char* expected) {
  return {name,
          [field](const toml::node& n, CrawlOptions& o) {
            auto v = n.value<T>();
            if (!v) return false;
            o.*field = Field(*v);
            return true;
          },
          [name, field](const CrawlOptions& o, toml::table& t) { t.insert(name, T(o.*field)); }, expected};
}

// A repeatable setting: a string or an array of strings.
Key List(const char* name, std::vector<std::string> CrawlOptions::*field) {
  return {name,
          [field](const toml::node& n, CrawlOptions& o) {
            std::vector<std::string> out;
            if (auto s = n.value<std::string>()) {
              out.push_back(*s);
            } else if (const toml::array* a = n.as_array()) {
              for (const auto& item : *a) {
                auto s2 = item.value<std::string>();
                if (!s2) return false;
                out.push_back(*s2);
              }
            } else {
              return false;
            }
            o.*field = out;
            return true;
          },
          [name, field](const CrawlOptions& o, toml::table& t) {
            toml::array a;
            for (const auto& v : o.*field) a.push_back(v);
            t.insert(name, std::move(a));
          },
          "a string or an array of strings"};
}

const std::vector<Key>& Keys() {
  using S = std::string;
  static const std::vector<Key> keys = {
      Scalar<S>("list", &CrawlOptions::list, "a string"),
      Scalar<S>("db", &CrawlOptions::db, "a string"),
      Scalar<int64_t>("concurrency", &CrawlOptions::concurrency, "an integer"),
      Scalar<int64_t>("per-host", &CrawlOptions::per_host, "an integer"),
      Scalar<int64_t>("delay", &CrawlOptions::delay_ms, "an integer (milliseconds)"),
      Scalar<double>("timeout", &CrawlOptions::timeout_s, "a number (seconds)"),
      Scalar<S>("max-size", &CrawlOptions::max_size_text, "a string such as \"64M\""),
      Scalar<S>("user-agent", &CrawlOptions::user_agent, "a string"),
      List("header", &CrawlOptions::headers),
      Scalar<bool>("resume", &CrawlOptions::resume, "true or false"),
      Scalar<bool>("quiet", &CrawlOptions::quiet, "true or false"),
      Scalar<bool>("json", &CrawlOptions::json, "true or false"),
      Scalar<bool>("insecure", &CrawlOptions::insecure, "true or false"),
      Scalar<int64_t>("depth", &CrawlOptions::depth, "an integer"),
      Scalar<S>("scope", &CrawlOptions::scope, "host, domain, prefix or any"),
      List("include", &CrawlOptions::include),
      List("exclude", &CrawlOptions::exclude),
      Scalar<int64_t>("max-pages", &CrawlOptions::max_pages, "an integer"),
      Scalar<bool>("ignore-nofollow", &CrawlOptions::ignore_nofollow, "true or false"),
      Scalar<bool>("ignore-robots", &CrawlOptions::ignore_robots, "true or false"),
      Scalar<S>("conditional", &CrawlOptions::conditional, "\"auto\", \"on\" or \"off\""),
      Scalar<int64_t>("retries", &CrawlOptions::retries, "an integer"),
      Scalar<int64_t>("retry-delay", &CrawlOptions::retry_delay_ms, "an integer (milliseconds)"),
      List("fail-on", &CrawlOptions::fail_on),
      Scalar<double>("wait-lock", &CrawlOptions::wait_lock_s, "a number (seconds)"),
      Scalar<S>("report-html", &CrawlOptions::report_html, "a string (a file name)"),
  };
  return keys;
}

std::string Where(const std::string& path, const toml::source_region& src) {
  return path + ":" + std::to_string(src.begin.line);
}

}  // namespace

void ApplyJobFile(const std::string& path, CrawlOptions& options,
                  const std::function<bool(const std::string&)>& given_on_command_line) {
  toml::table table;
  try {
    table = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    std::string what(e.description());
    if (!e.source().begin) throw JobFileError(path + ": " + what);  // e.g. the file cannot be read
    throw JobFileError(Where(path, e.source()) + ": " + what);
  }
  for (const auto& [key, node] : table) {
    std::string name(key.str());
    const Key* k = nullptr;
    for (const auto& candidate : Keys()) {
      if (name == candidate.name) k = &candidate;
    }
    if (!k) throw JobFileError(Where(path, node.source()) + ": unknown setting '" + name + "'");
    if (given_on_command_line(name)) continue;
    if (!k->read(node, options)) {
      throw JobFileError(Where(path, node.source()) + ": '" + name + "' must be " + k->expected);
    }
  }
}

std::string EffectiveConfig(const CrawlOptions& o) {
  toml::table t;
  for (const auto& k : Keys()) k.write(o, t);
  std::ostringstream out;
  out << t << "\n";
  return out.str();
}

}  // namespace gc
