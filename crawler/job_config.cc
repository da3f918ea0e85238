#include "crawler/job_config.h"

#include <toml++/toml.h>

#include <sstream>
#include <vector>

namespace gc {
namespace {

struct Key {
  const char* name;
  // Reads the node into the options; false when its type is wrong.
  std::function<bool(const toml::node&, CrawlOptions&)> apply;
  const char* expected;
};

template <typename T, typename Field>
std::function<bool(const toml::node&, CrawlOptions&)> Set(Field CrawlOptions::*field) {
  return [field](const toml::node& n, CrawlOptions& o) {
    auto v = n.value<T>();
    if (!v) return false;
    o.*field = Field(*v);
    return true;
  };
}

std::function<bool(const toml::node&, CrawlOptions&)> SetList(std::vector<std::string> CrawlOptions::*field) {
  return [field](const toml::node& n, CrawlOptions& o) {
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
  };
}

const std::vector<Key>& Keys() {
  static const std::vector<Key> keys = {
      {"list", Set<std::string>(&CrawlOptions::list), "a string"},
      {"db", Set<std::string>(&CrawlOptions::db), "a string"},
      {"concurrency", Set<int64_t>(&CrawlOptions::concurrency), "an integer"},
      {"per-host", Set<int64_t>(&CrawlOptions::per_host), "an integer"},
      {"delay", Set<int64_t>(&CrawlOptions::delay_ms), "an integer (milliseconds)"},
      {"timeout", Set<double>(&CrawlOptions::timeout_s), "a number (seconds)"},
      {"max-size", Set<std::string>(&CrawlOptions::max_size_text), "a string such as \"64M\""},
      {"user-agent", Set<std::string>(&CrawlOptions::user_agent), "a string"},
      {"header", SetList(&CrawlOptions::headers), "a string or an array of strings"},
      {"quiet", Set<bool>(&CrawlOptions::quiet), "true or false"},
      {"json", Set<bool>(&CrawlOptions::json), "true or false"},
      {"insecure", Set<bool>(&CrawlOptions::insecure), "true or false"},
      {"depth", Set<int64_t>(&CrawlOptions::depth), "an integer"},
      {"scope", Set<std::string>(&CrawlOptions::scope), "host, domain, prefix or any"},
      {"include", SetList(&CrawlOptions::include), "a string or an array of strings"},
      {"exclude", SetList(&CrawlOptions::exclude), "a string or an array of strings"},
      {"max-pages", Set<int64_t>(&CrawlOptions::max_pages), "an integer"},
      {"ignore-nofollow", Set<bool>(&CrawlOptions::ignore_nofollow), "true or false"},
      {"ignore-robots", Set<bool>(&CrawlOptions::ignore_robots), "true or false"},
      {"conditional", Set<std::string>(&CrawlOptions::conditional), "\"auto\", \"on\" or \"off\""},
      {"retries", Set<int64_t>(&CrawlOptions::retries), "an integer"},
      {"retry-delay", Set<int64_t>(&CrawlOptions::retry_delay_ms), "an integer (milliseconds)"},
      {"fail-on", SetList(&CrawlOptions::fail_on), "a string or an array of strings such as \"errors>5%\""},
      {"wait-lock", Set<double>(&CrawlOptions::wait_lock_s), "a number (seconds)"},
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
    if (!k->apply(node, options)) {
      throw JobFileError(Where(path, node.source()) + ": '" + name + "' must be " + k->expected);
    }
  }
}

std::string EffectiveConfig(const CrawlOptions& o) {
  toml::table t;
  auto array = [](const std::vector<std::string>& v) {
    toml::array a;
    for (const auto& s : v) a.push_back(s);
    return a;
  };
  t.insert("list", o.list);
  t.insert("db", o.db);
  t.insert("concurrency", o.concurrency);
  t.insert("per-host", o.per_host);
  t.insert("delay", o.delay_ms);
  t.insert("timeout", o.timeout_s);
  t.insert("max-size", o.max_size_text);
  t.insert("user-agent", o.user_agent);
  t.insert("header", array(o.headers));
  t.insert("quiet", o.quiet);
  t.insert("json", o.json);
  t.insert("insecure", o.insecure);
  t.insert("depth", o.depth);
  t.insert("scope", o.scope);
  t.insert("include", array(o.include));
  t.insert("exclude", array(o.exclude));
  t.insert("max-pages", o.max_pages);
  t.insert("ignore-nofollow", o.ignore_nofollow);
  t.insert("ignore-robots", o.ignore_robots);
  t.insert("conditional", o.conditional);
  t.insert("retries", o.retries);
  t.insert("retry-delay", o.retry_delay_ms);
  t.insert("fail-on", array(o.fail_on));
  t.insert("wait-lock", o.wait_lock_s);
  std::ostringstream out;
  out << t << "\n";
  return out.str();
}

}  // namespace gc
