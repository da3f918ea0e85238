#include "app/json.h"

namespace gc {

std::optional<std::string> JsonStringField(std::string_view json, std::string_view key) {
  std::string needle = JsonString(key) + ":\"";
  size_t at = json.find(needle);
  if (at == std::string_view::npos) return std::nullopt;
  std::string out;
  for (size_t i = at + needle.size(); i < json.size(); ++i) {
    char c = json[i];
    if (c == '"') return out;
    if (c != '\\') {
      out += c;
      continue;
    }
    if (++i >= json.size()) return std::nullopt;
    switch (json[i]) {
      case 'n': out += '\n'; break;
      case 't': out += '\t'; break;
      case 'r': out += '\r'; break;
      case 'u': {  // JsonString writes only control characters this way
        if (i + 4 >= json.size()) return std::nullopt;
        out += char(std::stoi(std::string(json.substr(i + 1, 4)), nullptr, 16));
        i += 4;
        break;
      }
      default: out += json[i];
    }
  }
  return std::nullopt;
}

}  // namespace gc
