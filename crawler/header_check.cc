#include "crawler/header_check.h"

#include <cctype>

namespace gc {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return s;
}

bool NameIs(std::string_view name, std::string_view lower) {
  if (name.size() != lower.size()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];  // ASCII lowering inline: this runs for every header line of every response
    if ((c >= 'A' && c <= 'Z' ? char(c + ('a' - 'A')) : c) != lower[i]) return false;
  }
  return true;
}

}  // namespace

HeaderCheck::Verdict HeaderCheck::Add(std::string_view line) {
  if (line.substr(0, 5) == "HTTP/") {
    bytes_ = 0;
    length_.clear();
    location_.clear();
  }
  bytes_ += line.size();
  if (bytes_ > kMaxBytes) return Verdict::kTooLarge;
  size_t colon = line.find(':');
  if (colon == std::string_view::npos) return Verdict::kOk;
  std::string_view name = line.substr(0, colon), value = Trim(line.substr(colon + 1));
  if (NameIs(name, "location")) {
    location_.assign(value);
  } else if (NameIs(name, "content-length")) {
    // "5, 5" (a list of equal values) is allowed by RFC 9110 8.6; any disagreement is not, whether in one
    // field line or across several.
    while (!value.empty()) {
      size_t comma = value.find(',');
      std::string_view one = Trim(value.substr(0, comma));
      value = comma == std::string_view::npos ? std::string_view() : value.substr(comma + 1);
      if (length_.empty()) {
        length_.assign(one);
      } else if (one != length_) {
        return Verdict::kConflictingLength;
      }
    }
  }
  return Verdict::kOk;
}

std::string SchemeOf(std::string_view reference) {
  reference = Trim(reference);
  if (reference.empty() || !std::isalpha(static_cast<unsigned char>(reference[0]))) return {};
  for (size_t i = 1; i < reference.size(); ++i) {
    auto c = static_cast<unsigned char>(reference[i]);
    if (c == ':') {
      std::string scheme(reference.substr(0, i));
      for (char& ch : scheme) ch = char(std::tolower(static_cast<unsigned char>(ch)));
      return scheme;
    }
    if (!std::isalnum(c) && c != '+' && c != '-' && c != '.') return {};
  }
  return {};
}

}  // namespace gc
