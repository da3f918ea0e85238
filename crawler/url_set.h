// UrlSet: the crawl session's memory of URLs it has seen, as 64-bit hashes with the smallest depth each
// was found at. Open addressing in one flat array (16 bytes a URL, at most 3/4 full, against ~50 for a
// std::unordered_map node), and a hard cap on entries: memory stays flat on an endless site. A full set
// answers "unknown" for new URLs, and the caller falls back to the database, which deduplicates by key:
// the set only saves work, correctness never depends on it. Loop thread only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace gc {

class UrlSet {
 public:
  explicit UrlSet(size_t max_entries) : max_entries_(max_entries) {}

  enum class Insert { kNew, kShallower, kKnown, kFull };
  // Records `hash` at `depth`. kNew: first time; kShallower: seen before at a greater depth (now
  // lowered); kKnown: seen at this depth or less; kFull: not seen and no room.
  Insert Add(uint64_t hash, int32_t depth);
  // The smallest depth `hash` was added at, if present.
  std::optional<int32_t> Depth(uint64_t hash) const;
  // Remembers that `hash` went out to be fetched at `depth` (kept only for URLs in the set).
  void MarkStarted(uint64_t hash, int32_t depth);
  // The depth `hash` was fetched at, if it was.
  std::optional<int32_t> Started(uint64_t hash) const;
  size_t size() const { return size_; }
  bool full() const { return size_ >= max_entries_; }

 private:
  struct Slot {
    uint64_t hash = 0;  // 0 marks an empty slot (a real 0 hash is stored as 1)
    int32_t depth = 0;
    int32_t started = -1;  // depth it was fetched at; -1: not yet
  };
  static uint64_t Key(uint64_t h) { return h == 0 ? 1 : h; }
  void Grow();
  size_t Find(uint64_t key) const;  // the slot holding `key`, or the empty slot where it would go

  size_t max_entries_;
  size_t size_ = 0;
  std::vector<Slot> slots_;  // size a power of two, or empty
};

}  // namespace gc
