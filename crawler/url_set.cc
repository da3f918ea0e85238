#include "crawler/url_set.h"

namespace gc {

size_t UrlSet::Find(uint64_t key) const {
  size_t mask = slots_.size() - 1;
  // The hashes are XXH3 values, already well mixed: linear probing from the low bits.
  for (size_t i = size_t(key) & mask;; i = (i + 1) & mask) {
    if (slots_[i].hash == key || slots_[i].hash == 0) return i;
  }
}

void UrlSet::Grow() {
  std::vector<Slot> old = std::move(slots_);
  slots_.assign(old.empty() ? 1024 : old.size() * 2, Slot{});
  for (const Slot& s : old) {
    if (s.hash != 0) slots_[Find(s.hash)] = s;
  }
}

UrlSet::Insert UrlSet::Add(uint64_t hash, int32_t depth) {
  uint64_t key = Key(hash);
  if (slots_.empty()) Grow();
  size_t i = Find(key);
  if (slots_[i].hash == key) {
    if (slots_[i].depth <= depth) return Insert::kKnown;
    slots_[i].depth = depth;
    return Insert::kShallower;
  }
  if (size_ >= max_entries_) return Insert::kFull;
  if ((size_ + 1) * 4 > slots_.size() * 3) {
    Grow();
    i = Find(key);
  }
  slots_[i] = Slot{key, depth, -1};
  ++size_;
  return Insert::kNew;
}

std::optional<int32_t> UrlSet::Depth(uint64_t hash) const {
  if (slots_.empty()) return std::nullopt;
  size_t i = Find(Key(hash));
  if (slots_[i].hash == 0) return std::nullopt;
  return slots_[i].depth;
}

void UrlSet::MarkStarted(uint64_t hash, int32_t depth) {
  if (slots_.empty()) return;
  size_t i = Find(Key(hash));
  if (slots_[i].hash != 0) slots_[i].started = depth;
}

std::optional<int32_t> UrlSet::Started(uint64_t hash) const {
  if (slots_.empty()) return std::nullopt;
  size_t i = Find(Key(hash));
  if (slots_[i].hash == 0 || slots_[i].started < 0) return std::nullopt;
  return slots_[i].started;
}

}  // namespace gc
