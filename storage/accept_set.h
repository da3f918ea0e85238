// AcceptSet: which HTTP statuses count as fine (`--accept 200-299,429`, as lychee's -a and muffet's
// --accepted-status-codes). A result is BROKEN when it has an error class other than `blocked`, or a
// status outside the set; a `blocked` result is never broken (it is counted apart). The word `robots`
// in the set accepts refusals by a robots.txt that answered (error class `robots`): the site owner
// excluded those URLs, as LinkChecker and lychee treat excluded links. The default set, `100-399,robots`,
// is greencrawl's rule before --accept: an error or HTTP >= 400, robots.txt exclusions apart. A set given
// without `robots` counts them as broken. 304 is always accepted: it only ever answers greencrawl's own
// conditional requests ("as before").
// A value type; any thread. The one definition of broken lives here: SQL and C++ alike use it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "storage/sql.h"

namespace gc::storage {

class AcceptSet {
 public:
  static constexpr size_t kMaxParts = 32;  // ranges and codes in one set

  // 100-399,robots.
  AcceptSet();
  // "200-299,429,robots": comma-separated codes and inclusive ranges from 100 to 999 (at least one), and
  // optionally the word robots. nullopt and *why naming
  // the bad part ("'20x' is not a status code or range (e.g. 200-299,429)") when malformed.
  static std::optional<AcceptSet> Parse(std::string_view text, std::string* why);

  bool Accepts(int64_t status) const;
  // The result's verdict, as BrokenSql() computes it in the database.
  bool Broken(std::optional<int64_t> status, const std::optional<std::string>& error) const;
  // Canonical text: "100-399,robots", "200-299,429" (sorted, merged; robots last).
  std::string Text() const;
  bool IsDefault() const;

  // A boolean SQL expression over the results columns `status` and `error`, with one `?` pair per range:
  // bind them with BindBroken(statement, index of its first `?`), which returns the next index. Runs
  // unchanged on SQLite and PostgreSQL. `table`: the results table's alias where a join makes the bare
  // names ambiguous ("x" reads x.status and x.error).
  std::string BrokenSql(std::string_view table = {}) const;
  int BindBroken(sql::Statement& st, int first) const;

 private:
  std::vector<std::pair<int64_t, int64_t>> ranges_;  // sorted, disjoint, inclusive
  bool robots_ = false;                               // a robots.txt refusal is accepted
};

// The accept set stored with run `run_id` (runs.options "accept"), or the default for a run recorded
// without one. Throws sql::Error for an unknown run or a stored value that does not parse.
AcceptSet RunAcceptSet(sql::Database& db, int64_t run_id);

}  // namespace gc::storage
