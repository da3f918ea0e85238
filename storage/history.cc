#include "storage/history.h"

#include <algorithm>
#include <limits>
#include <queue>

#include "storage/schema.h"

namespace gc::storage {
namespace {

// Broken as `report` judges each run (storage/accept_set.h): by the accept set the run was crawled with,
// or by one set for every run (report --accept). So a status a run accepted is not broken in its
// history either, and a streak, "new" and "fixed" agree with each run's own report. Each run's set is
// read once, when a streak first reaches that run: the runs looked at, not the list's whole history.
class RunJudge {
 public:
  RunJudge(sql::Database& db, const std::optional<AcceptSet>& accept) : db_(db), override_(accept) {}
  const AcceptSet& For(int64_t run_id) {
    if (override_) return *override_;
    auto it = sets_.find(run_id);
    if (it == sets_.end()) it = sets_.emplace(run_id, RunAcceptSet(db_, run_id)).first;
    return it->second;
  }
  bool Broken(int64_t run_id, const Outcome& o) { return For(run_id).Broken(o.status, o.error); }

 private:
  sql::Database& db_;
  std::optional<AcceptSet> override_;
  std::map<int64_t, AcceptSet> sets_;
};

// One URL's outcome in one run, through the primary key results(run_id, url); nullopt when the URL is not
// in that run.
class OutcomeLookup {
 public:
  explicit OutcomeLookup(sql::Database& db)
      : st_(db.Prepare("SELECT status, error FROM results WHERE run_id = ? AND url = ?")) {}
  std::optional<Outcome> operator()(int64_t run_id, const std::string& url) {
    st_.Bind(1, run_id).Bind(2, url);
    std::optional<Outcome> o;
    if (st_.Step()) o = Outcome{st_.OptInt(0), st_.OptText(1)};
    st_.Reset();
    return o;
  }

 private:
  sql::Statement st_;
};

// How many runs in a row, back from runs[0] (where the URL is broken), the URL stayed broken.
// With an index by (url, run_id) (schema 3: results_by_url; schema 11: result_rows_by_url, by the URL's
// id): one range scan of the URL's earlier results, newest first, skipping runs that are not in the
// history (other lists, unfinished runs). Before schema 3:
// one primary-key lookup per run. Either way the work is the streak, not the number of runs.
class StreakWalk {
 public:
  StreakWalk(sql::Database& db, bool indexed, RunJudge& judge)
      : indexed_(indexed),
        judge_(judge),
        earlier_(db.Prepare(indexed ? "SELECT run_id, status, error FROM results WHERE url = ? AND run_id < ? "
                                      "ORDER BY run_id DESC"
                                    : "SELECT status, error FROM results WHERE run_id = ? AND url = ?")) {}

  int64_t operator()(const std::vector<int64_t>& runs, const std::string& url, size_t max_streak) {
    int64_t streak = 1;
    const size_t end = std::min(runs.size(), max_streak);
    if (!indexed_) {
      OutcomeLookupLoop(runs, end, url, streak);
      return streak;
    }
    earlier_.Bind(1, url).Bind(2, runs[0]);
    size_t k = 1;
    while (k < end && earlier_.Step()) {
      int64_t run = earlier_.Int(0);
      if (run > runs[k]) continue;  // not in the history
      if (run < runs[k]) break;     // the URL was not in runs[k]
      if (!judge_.Broken(run, {earlier_.OptInt(1), earlier_.OptText(2)})) break;
      ++streak;
      ++k;
    }
    earlier_.Reset();
    return streak;
  }

 private:
  void OutcomeLookupLoop(const std::vector<int64_t>& runs, size_t end, const std::string& url, int64_t& streak) {
    for (size_t k = 1; k < end; ++k) {
      earlier_.Bind(1, runs[k]).Bind(2, url);
      bool broken = earlier_.Step() && judge_.Broken(runs[k], {earlier_.OptInt(0), earlier_.OptText(1)});
      earlier_.Reset();
      if (!broken) return;
      ++streak;
    }
  }

  bool indexed_;
  RunJudge& judge_;
  sql::Statement earlier_;
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

std::vector<int64_t> ListHistory(sql::Database& db, int64_t run_id) {
  {
    auto st = db.Prepare("SELECT id FROM runs WHERE id = ?");
    st.Bind(1, run_id);
    if (!st.Step()) throw sql::Error("no run " + std::to_string(run_id) + " in " + db.path(), sql::kError);
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

BrokenHistory ReadBrokenHistory(sql::Database& db, int64_t run_id, std::optional<int64_t> compared_with,
                                int64_t limit, int64_t max_streak, const std::optional<AcceptSet>& accept) {
  BrokenHistory h;
  h.run_id = run_id;
  h.runs = ListHistory(db, run_id);
  h.compared_with = compared_with;
  if (!h.compared_with && h.runs.size() > 1) h.compared_with = h.runs[1];
  const size_t cap = limit < 0 ? std::numeric_limits<size_t>::max() : size_t(limit);
  OutcomeLookup lookup(db);
  int version = 0;
  {
    version = SchemaVersion(db);
  }
  RunJudge judge(db, accept);
  StreakWalk streak_of(db, version >= 3, judge);  // results_by_url came with schema 3
  std::priority_queue<HistoryLink, std::vector<HistoryLink>, LongerFirst> lasting;  // top: the one to drop

  // ORDER BY url walks the results(run_id, url) key in order: no sort, whatever the run's size.
  const AcceptSet& now = judge.For(run_id);
  auto broken =
      db.Prepare("SELECT url, status, error FROM results WHERE run_id = ? AND " + now.BrokenSql() + " ORDER BY url");
  broken.Bind(1, run_id);
  now.BindBroken(broken, 2);
  while (broken.Step()) {
    HistoryLink link{broken.Text(0), {broken.OptInt(1), broken.OptText(2)}, {}, 1};
    ++h.broken;
    std::optional<Outcome> before;
    if (h.compared_with) before = lookup(*h.compared_with, link.url);
    if (before) link.before = *before;
    link.streak = streak_of(h.runs, link.url, max_streak < 1 ? h.runs.size() : size_t(max_streak));
    ++h.by_streak[link.streak];
    h.longest = std::max(h.longest, link.streak);
    if (!before || !judge.Broken(*h.compared_with, *before)) {
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
    // Broken then, present and fine now: no error class and not broken by the run's set. A URL no longer
    // in the run is not counted as fixed (it is gone), nor is one now behind a bot wall (it may not work).
    const AcceptSet& then = judge.For(*h.compared_with);
    auto fixed = db.Prepare(
        "SELECT y.url, y.status, y.error, x.status, x.error FROM results y "
        "JOIN results x ON x.run_id = ? AND x.url = y.url "
        "WHERE y.run_id = ? AND " + then.BrokenSql("y") + " AND x.error IS NULL AND NOT " + now.BrokenSql("x") +
        " ORDER BY y.url");
    fixed.Bind(1, run_id).Bind(2, *h.compared_with);
    now.BindBroken(fixed, then.BindBroken(fixed, 3));
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
