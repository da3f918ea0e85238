#include "app/list_loader.h"

#include <sstream>
#include <utility>
#include <vector>

#include "greenlet/signals.h"
#include "text/escape.h"
#include "text/utf8.h"
#include "urls/url.h"

namespace gc {
namespace {

constexpr int64_t kLinesPerTransaction = 20'000;  // Load(): a commit per this many lines
constexpr int64_t kLinesPerChunk = 5'000;         // Next(): ~25 ms of the storage thread at a time
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
  int64_t lines = 0, queued = 0;
  bool more = true;
  // Read first, then written in one transaction: the lines are in memory while it runs, so that a
  // PostgreSQL connection lost under it (a server restart) has the store run it again as a whole
  // (ResultStore::AddListChunk) without reading the list twice. A repeat read of a chunk when its valid
  // lines were duplicates: `min_queued` counts URLs queued, known only once they are written.
  while (more && (max_lines == 0 || lines < max_lines) && (min_queued == 0 || queued < min_queued)) {
    std::vector<storage::FrontierItem> items;
    std::vector<storage::ResultRow> rows;
    while ((max_lines == 0 || lines < max_lines) &&
           (min_queued == 0 || queued + int64_t(items.size()) < min_queued)) {
      if (!reader_.Next(line)) {
        more = false;
        break;
      }
      ++lines;
      if (!chunk && (line.number & 1023) == 0 && StopSignal()) {
        // The line in hand is not stored: the stopped read leaves the list's count unknown (see the header).
        stopped_ = true;
        more = false;
        break;
      }
      if (line.canonical.ok()) {
        items.push_back({line.canonical.url, line.number, 0, line.number, std::nullopt});
        continue;
      }
      ++counts_.invalid;
      if (chunk) ++chunk->invalid;
      if (!quiet_ && reported_++ < kNamedInvalidLines) {
        // "list.txt:3: unsupported_scheme: ftp://x/y (only http and https URLs are crawled, not ftp:)"
        msgs << list_name_ << ":" << line.number << ": " << line.canonical.error << ": "
             << EscapeForMessage(line.text, 200) << " (" << line.canonical.message << ")\n";
      }
      storage::ResultRow row;
      row.url = CleanText(line.text, 2048);
      row.list_line = line.number;
      row.fetched_at = storage::UtcNow();
      row.error = line.canonical.error;
      row.error_message = "line " + std::to_string(line.number) + ": " + line.canonical.message;
      row.attempts = 0;
      row.in_frontier = false;
      rows.push_back(std::move(row));
    }
    if (items.empty() && rows.empty()) break;
    std::vector<bool> added = store_.AddListChunk(run_id_, items, rows);
    for (size_t i = 0; i < items.size(); ++i) {
      if (!added[i]) {
        ++counts_.duplicate;
        continue;
      }
      ++counts_.queued;
      ++queued;
      if (chunk) {
        ++chunk->queued;
        // Frontier URLs are canonical: the origin is string work. Each origin is handed out once.
        std::string origin = urls::CanonicalOrigin(items[i].url);
        if (origins_.insert(origin).second) chunk->origins.push_back(std::move(origin));
      }
    }
    if (stopped_) break;
  }
  if (!more && !stopped_) ended_ = true;
}

void ListLoader::Ended(std::ostream& msgs) {
  store_.SetListCounts(run_id_, counts_.queued, counts_.invalid, counts_.duplicate);
  store_.Analyze();
  if (!quiet_ && reported_ > kNamedInvalidLines) {
    msgs << list_name_ << ": " << (reported_ - kNamedInvalidLines) << " more invalid lines (see the database)\n";
  }
}

}  // namespace gc
