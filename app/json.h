// Just enough JSON output for summaries and exports: string escaping (RFC 8259). Values we write are
// already valid UTF-8 (storage cleans them), so only quotes, backslashes and controls need escaping.
#pragma once

#include <cstdio>
#include <optional>
#include <string>
#include <string_view>

namespace gc {

inline std::string JsonString(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  out += '"';
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += char(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += char(c);
    }
  }
  out += '"';
  return out;
}

// The string value of "key" at the top level of a JSON object written by us (JsonString escapes), or
// nullopt. Not a general JSON parser: enough to read back runs.options.
std::optional<std::string> JsonStringField(std::string_view json, std::string_view key);

}  // namespace gc
