// PgArray: a column of values as one PostgreSQL array literal ('{"a","b",NULL}'), bound as one text
// parameter and cast in the SQL (CAST(?2 AS TEXT[])), so that a batch of rows travels in one statement
// (INSERT ... SELECT FROM unnest(...)) instead of one round trip per row. The values are data inside the
// bound parameter, never SQL text. Any thread; plain string building.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace gc::storage {

class PgArray {
 public:
  void Add(std::string_view text);
  void Add(int64_t value);
  void Add(double value);
  void AddNull();
  template <typename T>
  void Add(const std::optional<T>& value) {
    if (value) {
      Add(*value);
    } else {
      AddNull();
    }
  }
  size_t size() const { return size_; }
  // The literal, "{...}".
  std::string str() const { return literal_ + "}"; }

 private:
  void Separate() { literal_ += size_++ ? "," : ""; }
  std::string literal_ = "{";
  size_t size_ = 0;
};

}  // namespace gc::storage
