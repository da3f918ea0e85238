#include "app/job_config.h"

#include <toml++/toml.h>

#include <algorithm>
#include <filesystem>
#include <sstream>
#include <vector>

#include "app/settings.h"
#include "storage/redact.h"
#include "version.h"

namespace gc {
namespace {

std::string Where(const std::string& path, const toml::source_region& src) {
  return path + ":" + std::to_string(src.begin.line);
}

// The TOML value as the setting's type, or nullopt when it is of another type.
std::optional<SettingValue> Convert(const Setting& s, const toml::node& n) {
  switch (s.type) {
    case Setting::Type::kInt:
      if (auto v = n.as_integer()) return SettingValue(int64_t(v->get()));
      return std::nullopt;
    case Setting::Type::kNumber:
      if (auto v = n.as_integer()) return SettingValue(double(v->get()));
      if (auto v = n.as_floating_point()) return SettingValue(v->get());
      return std::nullopt;
    case Setting::Type::kFlag:
      if (auto v = n.as_boolean()) return SettingValue(v->get());
      return std::nullopt;
    case Setting::Type::kText:
      if (auto v = n.as_string()) return SettingValue(v->get());
      return std::nullopt;
    case Setting::Type::kList: {
      if (auto v = n.as_string()) return SettingValue(std::vector<std::string>{v->get()});
      const toml::array* a = n.as_array();
      if (!a) return std::nullopt;
      std::vector<std::string> out;
      for (const auto& item : *a) {
        auto str = item.as_string();
        if (!str) return std::nullopt;
        out.push_back(str->get());
      }
      return SettingValue(std::move(out));
    }
  }
  return std::nullopt;
}

std::string Shown(const toml::node& n) {
  std::ostringstream s;
  n.visit([&s](const auto& v) { s << v; });
  std::string out = s.str();
  return out.size() > 40 ? out.substr(0, 40) + "..." : out;
}

}  // namespace

namespace {
void ApplyTable(const toml::table& table, const std::string& path, CrawlOptions& options,
                const std::filesystem::path& base = {});

// A path setting's relative value, read from the job file's folder: `list = "urls.txt"` beside
// /etc/greencrawl/nightly.toml is /etc/greencrawl/urls.txt whether cron starts in / or in $HOME. Not "-"
// (standard input), not a PostgreSQL URI, not an empty (unset) value.
bool IsPathSetting(const std::string& name) {
  return name == "list" || name == "db" || name == "cacert" || name == "report-html";
}
std::string FromFolder(const std::filesystem::path& base, const std::string& value) {
  if (base.empty() || value.empty() || value == "-" || value.find("://") != std::string::npos) return value;
  std::filesystem::path p(value);
  if (p.is_absolute()) return value;
  return (base / p).lexically_normal().string();
}
}  // namespace

void ApplyJobFile(const std::string& path, CrawlOptions& options) {
  toml::table table;
  try {
    table = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    std::string what(e.description());
    if (!e.source().begin) throw JobFileError(path + ": " + what);  // e.g. the file cannot be read
    throw JobFileError(Where(path, e.source()) + ": " + what);
  }
  // The folder relative paths in the file are read from (cli.cc applies the file before the command line,
  // whose relative paths stay relative to the current directory).
  std::filesystem::path base = std::filesystem::absolute(std::filesystem::path(path)).parent_path();
  ApplyTable(table, path, options, base);
}

void ApplyJobText(const std::string& text, const std::string& name, CrawlOptions& options) {
  toml::table table;
  try {
    table = toml::parse(text, name);
  } catch (const toml::parse_error& e) {
    throw JobFileError(name + ": " + std::string(e.description()));
  }
  ApplyTable(table, name, options);
}

namespace {
void ApplyTable(const toml::table& table, const std::string& path, CrawlOptions& options,
                const std::filesystem::path& base) {
  std::vector<std::string> names;
  for (const auto& s : Settings()) names.push_back(s.name);
  // In the file's order, so the first mistake reported is the first one in the file.
  std::vector<std::pair<std::string, const toml::node*>> entries;
  for (const auto& [key, node] : table) entries.emplace_back(std::string(key.str()), &node);
  std::stable_sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) {
    return a.second->source().begin.line < b.second->source().begin.line;
  });
  for (const auto& [name, node_ptr] : entries) {
    const toml::node& node = *node_ptr;
    const Setting* s = FindSetting(name);
    if (!s) {
      std::string near = Nearest(name, names);
      throw JobFileError(Where(path, node.source()) + ": unknown setting '" + name + "'" +
                         (near.empty() ? "" : " (did you mean '" + near + "'?)"));
    }
    auto value = Convert(*s, node);
    if (value && IsPathSetting(name)) {
      if (auto* text = std::get_if<std::string>(&*value)) *text = FromFolder(base, *text);
    }
    std::string why =
        value ? Check(*s, *value) : "must be " + Expected(*s) + " (not " + Shown(node) + ")";
    if (!why.empty()) throw JobFileError(Where(path, node.source()) + ": " + name + ": " + why);
    Assign(*s, *value, options);
  }
}
}  // namespace

namespace {
// The settings of `o` as a job file, leaving out those named in `skip`. omit_unset: leave out text settings
// that are empty (not set: no proxy, no CA file, no list), named in a closing comment instead — written
// out, `proxy = ''` or `cacert = ''` would be refused when the file is read back.
std::string AsJobFile(const CrawlOptions& o, const std::vector<std::string>& skip, bool omit_unset = false) {
  toml::table t;
  std::string unset;
  for (const auto& s : Settings()) {
    if (std::find(skip.begin(), skip.end(), s.name) != skip.end()) continue;
    if (omit_unset && s.type == Setting::Type::kText) {
      const SettingValue v = Current(s, o);
      if (const auto* text = std::get_if<std::string>(&v); text && text->empty()) {
        unset += (unset.empty() ? "" : ", ") + s.name;
        continue;
      }
    }
    std::visit(
        [&](const auto& v) {
          using V = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<V, std::vector<std::string>>) {
            toml::array a;
            for (const auto& item : v) a.push_back(item);
            t.insert(s.name, std::move(a));
          } else {
            t.insert(s.name, v);
          }
        },
        Current(s, o));
  }
  std::ostringstream out;
  out << t << "\n";
  if (!unset.empty()) out << "# not set: " << unset << "\n";
  return out.str();
}
}  // namespace

std::string WorkerConfig(const CrawlOptions& o) {
  // What a joining worker must share with the run: how to fetch, what to follow, how politely. Not where
  // the list or database is, not how this process talks, and no credentials (the database is read by
  // many: a worker that needs them gives them itself).
  return AsJobFile(o, {"list", "db", "resume", "quiet", "json", "verbose", "report-html", "wait-lock", "fail-on",
                       "concurrency", "header", "proxy", "cacert"});
}

std::string EffectiveConfig(const CrawlOptions& o) {
  // Not a PostgreSQL URI's password: this output is pasted into job files, tickets and CI logs.
  CrawlOptions shown = o;
  shown.db = storage::RedactPassword(o.db);
  // Paths absolute, as the crawl resolves them from the current directory: saved anywhere and read back
  // (relative paths in a job file are read from its folder), the file means the same files.
  for (std::string* path : {&shown.list, &shown.db, &shown.cacert, &shown.report_html}) {
    if (!path->empty() && *path != "-" && path->find("://") == std::string::npos) {
      *path = std::filesystem::absolute(*path).lexically_normal().string();
    }
  }
  // The agent the requests carry (the fetcher's default when none is given), not an empty string.
  if (shown.user_agent.empty()) shown.user_agent = "greencrawl/" GREENCRAWL_VERSION;
  return AsJobFile(shown, {}, true);
}

}  // namespace gc
