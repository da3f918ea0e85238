#include "storage/history.h"

#include <algorithm>
#include <limits>
#include <queue>

namespace gc::storage {
namespace {

// The one definition of broken (storage/inspect.h): an error class or HTTP >= 400.
bool IsBroken(const Outcome& o) { return o.error || (o.status && *o.status >= 400); }

// One URL's outcome in one run, through the primary key results(run_id, url); nullopt when the URL is not
// in that run.
class OutcomeLookup {
 public:
  explicit OutcomeLookup(sqlite::Database& db)
      : st_(db.Prepare("SELECT status, error FROM results WHERE run_id = ? AND url = ?")) {}
  std::optional<Outcome> operator()(int64_t run_id, const std::string& url) {
    st_.Bind(1, run_id).Bind(2, url);
    std::optional<Outcome> o;
    if (st_.Step()) o = Outcome{st_.OptInt(0), st_.OptText(1)};
    st_.Reset();
    return o;
  }

 private:
  sqlite::Statement st_;
};

// Longest streak first, then by URL: the order `lasting` is listed in.
struct LongerFirst {
  bool operator()(const HistoryLink& a, const HistoryLink& b) const {
    return a.streak != b.streak ? a.streak > b.streak : a.url < b.url;
  }
};

}  // namespace

int64_t BrokenHistory::BrokenForMoreThan(int64_t runs_in_a_row) const {
  int64_t n = 0;
  for (auto it = by_streak.upper_bound(runs_in_a_row); it != by_streak.end(); ++it) n += it->second;
  return n;
}

std::vector<int64_t> ListHistory(sqlite::Database& db, int64_t run_id) {
  {
    auto st = db.Prepare("SELECT id FROM runs WHERE id = ?");
    st.Bind(1, run_id);
    if (!st.Step()) throw sqlite::Error("no run " + std::to_string(run_id) + " in " + db.path(), SQLITE_ERROR);
  }
  // The runs table has a row per run, not per URL: a scan of it is cheap however large the results.
  auto st = db.Prepare(
      "SELECT id FROM runs WHERE id < ? AND status = 'completed' "
      "AND list_file IS NOT DISTINCT FROM (SELECT list_file FROM runs WHERE id = ?) ORDER BY id DESC");
  st.Bind(1, run_id).Bind(2, run_id);
  std::vector<int64_t> runs{run_id};
  while (st.Step()) runs.push_back(st.Int(0));
  return runs;
}

BrokenHistory ReadBrokenHistory(sqlite::Database& db, int64_t run_id, std::optional<int64_t> compared_with,
                                int64_t limit) {
  BrokenHistory h;
  h.run_id = run_id;
  h.runs = ListHistory(db, run_id);
  h.compared_with = compared_with;
  if (!h.compared_with && h.runs.size() > 1) h.compared_with = h.runs[1];
  const size_t cap = limit < 0 ? std::numeric_limits<size_t>::max() : size_t(limit);
  OutcomeLookup lookup(db);
  std::priority_queue<HistoryLink, std::vector<HistoryLink>, LongerFirst> lasting;  // top: the one to drop

  // ORDER BY url walks the results(run_id, url) key in order: no sort, whatever the run's size.
  auto broken = db.Prepare(
      "SELECT url, status, error FROM results WHERE run_id = ? AND (error IS NOT NULL OR status >= 400) "
      "ORDER BY url");
  broken.Bind(1, run_id);
  while (broken.Step()) {
    HistoryLink link{broken.Text(0), {broken.OptInt(1), broken.OptText(2)}, {}, 1};
    ++h.broken;
    std::optional<Outcome> before;
    if (h.compared_with) before = lookup(*h.compared_with, link.url);
    if (before) link.before = *before;
    // Back through the history while the URL stayed broken: each step one key lookup.
    for (size_t k = 1; k < h.runs.size(); ++k) {
      std::optional<Outcome> then = h.runs[k] == h.compared_with ? before : lookup(h.runs[k], link.url);
      if (!then || !IsBroken(*then)) break;
      ++link.streak;
    }
    ++h.by_streak[link.streak];
    h.longest = std::max(h.longest, link.streak);
    if (!before || !IsBroken(*before)) {
      ++h.new_broken;
      if (h.new_links.size() < cap) h.new_links.push_back(link);
    }
    if (link.streak >= 2 && cap > 0) {
      lasting.push(std::move(link));
      if (lasting.size() > cap) lasting.pop();
    }
  }
  while (!lasting.empty()) {
    h.lasting.push_back(lasting.top());
    lasting.pop();
  }
  std::reverse(h.lasting.begin(), h.lasting.end());

  if (h.compared_with) {
    // Broken then, present and fine now. A URL no longer in the run is not counted as fixed: it is gone.
    auto fixed = db.Prepare(
        "SELECT y.url, y.status, y.error, x.status, x.error FROM results y "
        "JOIN results x ON x.run_id = ? AND x.url = y.url "
        "WHERE y.run_id = ? AND (y.error IS NOT NULL OR y.status >= 400) "
        "AND x.error IS NULL AND (x.status IS NULL OR x.status < 400) ORDER BY y.url");
    fixed.Bind(1, run_id).Bind(2, *h.compared_with);
    while (fixed.Step()) {
      ++h.fixed;
      if (h.fixed_links.size() < cap) {
        h.fixed_links.push_back({fixed.Text(0), {fixed.OptInt(3), fixed.OptText(4)}, {fixed.OptInt(1), fixed.OptText(2)}, 0});
      }
    }
  }
  return h;
}

}  // namespace gc::storage
