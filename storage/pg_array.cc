#include "storage/pg_array.h"

#include <cstdio>

namespace gc::storage {

void PgArray::Add(std::string_view text) {
  Separate();
  // Every element quoted: PostgreSQL's array input (arrays.sgml, "Array Value Input") then takes
  // everything between the quotes as it is, except that `"` and `\` must be backslash-escaped. Unquoted,
  // NULL, blanks, commas and braces would mean something else.
  literal_ += '"';
  for (char c : text) {
    if (c == '"' || c == '\\') literal_ += '\\';
    literal_ += c;
  }
  literal_ += '"';
}

void PgArray::Add(int64_t value) {
  Separate();
  literal_ += std::to_string(value);
}

void PgArray::Add(double value) {
  Separate();
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", value);  // as PgStatement binds one
  literal_ += buf;
}

void PgArray::AddNull() {
  Separate();
  literal_ += "NULL";
}

}  // namespace gc::storage
