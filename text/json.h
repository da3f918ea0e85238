// JSON output (RFC 8259): JsonWriter builds a document value by value, so that commas, quotes and
// escaping are right by construction rather than by string concatenation. Values we write are already
// valid UTF-8 (storage cleans them), so strings escape only quotes, backslashes and control characters;
// other bytes pass through unchanged. Pure, safe on any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gc {

// `s` as a JSON string literal: " and \ backslashed, \n \t \r as such, other C0 controls and DEL as \u00XX.
std::string JsonString(std::string_view s);

// Writes one JSON value into a string. Inside an object, call Key before each value; commas are placed
// for you. Misuse (a value without a key in an object, an unbalanced End) is a bug, not checked.
class JsonWriter {
 public:
  JsonWriter& BeginObject();
  JsonWriter& EndObject();
  JsonWriter& BeginArray();
  JsonWriter& EndArray();
  JsonWriter& Key(std::string_view key);

  JsonWriter& String(std::string_view v);
  JsonWriter& Int(int64_t v);
  JsonWriter& Fixed(double v, int digits);  // printf's %.*f: digits after the point
  JsonWriter& Number(double v);             // printf's %g (six significant digits), as an ostream prints it
  JsonWriter& Bool(bool v);
  JsonWriter& Null();
  JsonWriter& Raw(std::string_view json);  // a value already written as JSON (by another JsonWriter)
  // null when empty
  JsonWriter& OptString(const std::optional<std::string>& v) { return v ? String(*v) : Null(); }
  JsonWriter& OptInt(const std::optional<int64_t>& v) { return v ? Int(*v) : Null(); }
  JsonWriter& OptFixed(const std::optional<double>& v, int digits) { return v ? Fixed(*v, digits) : Null(); }

  const std::string& str() const { return out_; }
  std::string Take() { return std::move(out_); }

 private:
  void BeforeValue();

  std::string out_;
  std::vector<bool> has_member_;  // per open object or array: something was written in it already
  bool after_key_ = false;
};

// The string value of "key" at the top level of a JSON object written by us (JsonString escapes), or
// nullopt. Not a general JSON parser: enough to read back runs.options.
std::optional<std::string> JsonStringField(std::string_view json, std::string_view key);

}  // namespace gc
