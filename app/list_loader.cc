#include "app/list_loader.h"

#include <sstream>
#include <utility>
#include <vector>

#include "greenlet/signals.h"
#include "parser/utf8.h"
#include "urls/url.h"

namespace gc {
namespace {

constexpr int64_t kLinesPerTransaction = 20'000;  // Load(): a commit per this many lines
constexpr int64_t kLinesPerChunk = 5'000;         // Next(): ~25 ms of the storage thread at a time
constexpr int64_t kLinesPerStatement = 2'500;     // URLs written by one multi-row INSERT
constexpr int64_t kNamedInvalidLines = 100;       // malformed lines named on stderr; the rest counted

}  // namespace

ListLoader::ListLoader(urls::UrlListReader& reader, storage::ResultStore& store, int64_t run_id,
                       std::string list_name, bool quiet)
    : reader_(reader), store_(store), run_id_(run_id), list_name_(std::move(list_name)), quiet_(quiet) {}

void ListLoader::Load(int64_t min_queued, std::ostream& err) {
  if (ended_) return;
  if (min_queued == 0) {
    while (!ended_ && !stopped_) ReadLines(kLinesPerTransaction, 0, err, nullptr);
  } else {
    ReadLines(kLinesPerChunk, min_queued, err, nullptr);
  }
  if (ended_) Ended(err);
}

ListFeed::Chunk ListLoader::Next() {
  Chunk chunk;
  if (!ended_) {
    std::ostringstream notes;
    ReadLines(kLinesPerChunk, 0, notes, &chunk);
    if (ended_) {
      Ended(notes);
      if (counts_.queued == 0 && counts_.invalid == 0) {
        notes << "greencrawl: warning: " << list_name_ << " holds no URLs (blank lines and #comments only)\n";
      } else if (counts_.queued == 0) {
        notes << "greencrawl: warning: " << list_name_ << " holds no URL to fetch: every line was invalid\n";
      }
      if (!quiet_) {
        notes << "greencrawl: run " << run_id_ << ": " << list_name_ << " read: " << counts_.queued
              << (counts_.queued == 1 ? " URL" : " URLs");
        if (counts_.invalid || counts_.duplicate) {
          notes << " (" << counts_.invalid << " invalid, " << counts_.duplicate << " duplicate lines)";
        }
        notes << "\n";
      }
    }
    chunk.notes = notes.str();
  }
  chunk.more = !ended_;
  return chunk;
}

void ListLoader::ReadLines(int64_t max_lines, int64_t min_queued, std::ostream& msgs, ListFeed::Chunk* chunk) {
  urls::ListLine line;
  store_.BeginBulk();
  // A read error or a full disk must not leave the connection inside this transaction: on the storage
  // thread, every later batch would fail to begin its own.
  struct Rollback {
    storage::ResultStore& store;
    bool armed = true;
    ~Rollback() {
      if (!armed) return;
      try {
        store.RollbackBulk();
      } catch (...) {
      }
    }
  } rollback{store_};
  int64_t lines = 0, queued = 0;
  bool more = true;
  // Valid lines wait here and go in together: one multi-row statement per chunk on PostgreSQL, where a
  // round trip per URL was most of a list's load time across a network.
  std::vector<storage::FrontierItem> pending;
  auto add_pending = [&] {
    std::vector<bool> added = store_.AddToFrontier(run_id_, pending);
    for (size_t i = 0; i < pending.size(); ++i) {
      if (!added[i]) {
        ++counts_.duplicate;
        continue;
      }
      ++counts_.queued;
      ++queued;
      if (chunk) {
        ++chunk->queued;
        // Frontier URLs are canonical: the origin is string work. Each origin is handed out once.
        std::string origin = urls::CanonicalOrigin(pending[i].url);
        if (origins_.insert(origin).second) chunk->origins.push_back(std::move(origin));
      }
    }
    pending.clear();
  };
  while ((max_lines == 0 || lines < max_lines) && (min_queued == 0 || queued < min_queued)) {
    if (!reader_.Next(line)) {
      more = false;
      break;
    }
    ++lines;
    if (!chunk && (line.number & 1023) == 0 && StopSignal()) {
      // The line in hand is not stored: the stopped read leaves the list's count unknown (see the header).
      stopped_ = true;
      break;
    }
    if (!line.canonical.ok()) {
      ++counts_.invalid;
      if (chunk) ++chunk->invalid;
      if (!quiet_ && reported_++ < kNamedInvalidLines) {
        // "list.txt:3: unsupported_scheme: ftp://x/y (only http and https URLs are crawled, not ftp:)"
        msgs << list_name_ << ":" << line.number << ": " << line.canonical.error << ": "
             << urls::EscapeForMessage(line.text, 200) << " (" << line.canonical.message << ")\n";
      }
      storage::ResultRow row;
      row.url = CleanText(line.text, 2048);
      row.list_line = line.number;
      row.fetched_at = storage::UtcNow();
      row.error = line.canonical.error;
      row.error_message = "line " + std::to_string(line.number) + ": " + line.canonical.message;
      row.attempts = 0;
      row.in_frontier = false;
      store_.Record(run_id_, std::move(row));
    } else {
      pending.push_back({line.canonical.url, line.number, 0, line.number, std::nullopt});
      // Written when `min_queued` may have been reached (the loop's test then reads the true count).
      if (pending.size() >= size_t(kLinesPerStatement) ||
          (min_queued > 0 && queued + int64_t(pending.size()) >= min_queued)) {
        add_pending();
      }
    }
  }
  add_pending();
  store_.CommitBulk();
  rollback.armed = false;
  store_.Flush();  // the malformed lines' result rows
  if (!more) ended_ = true;
}

void ListLoader::Ended(std::ostream& msgs) {
  store_.SetListCounts(run_id_, counts_.queued, counts_.invalid, counts_.duplicate);
  store_.Analyze();
  if (!quiet_ && reported_ > kNamedInvalidLines) {
    msgs << list_name_ << ": " << (reported_ - kNamedInvalidLines) << " more invalid lines (see the database)\n";
  }
}

}  // namespace gc
