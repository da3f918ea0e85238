#include "storage/redact.h"

#include <cctype>
#include <utility>
#include <vector>

namespace gc::storage {
namespace {

using Span = std::pair<size_t, size_t>;  // [begin, end) of a password in the target

bool IsUri(std::string_view s) { return s.starts_with("postgresql://") || s.starts_with("postgres://"); }

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = char(std::tolower(static_cast<unsigned char>(c)));
  return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

std::string PercentDecoded(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && HexValue(s[i + 1]) >= 0 && HexValue(s[i + 2]) >= 0) {
      out += char(HexValue(s[i + 1]) * 16 + HexValue(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

bool IsPasswordKey(std::string_view key) {
  std::string k = PercentDecoded(key);
  if (k.size() != 8) return false;
  for (char& c : k) c = char(std::tolower(static_cast<unsigned char>(c)));
  return k == "password";
}

std::vector<Span> UriPasswords(std::string_view s) {
  std::vector<Span> spans;
  const size_t start = s.find("://") + 3;
  size_t query_from = start;
  // The userinfo: up to the last '@', so that '@', '#', ':', '/' and '?' in an unencoded password stay
  // inside it. The user name ends at the first ':' (a user name cannot hold one; libpq splits there too).
  size_t at = s.rfind('@');
  if (at != std::string_view::npos && at >= start) {
    size_t colon = s.find(':', start);
    if (colon < at) {
      spans.emplace_back(colon + 1, at);
      query_from = at + 1;
    }
  }
  // The query: key=value pairs separated by '&' (libpq's conninfo_uri_parse_params).
  size_t q = s.find('?', query_from);
  for (size_t p = q == std::string_view::npos ? s.size() : q + 1; p < s.size();) {
    size_t amp = s.find('&', p);
    size_t end = amp == std::string_view::npos ? s.size() : amp;
    size_t eq = s.find('=', p);
    if (eq < end && IsPasswordKey(s.substr(p, eq - p))) spans.emplace_back(eq + 1, end);
    p = end + 1;
  }
  return spans;
}

// libpq's key=value conninfo (conninfo_parse): KEY = VALUE, the value either quoted ('...', with \' and
// \\ escapes) or running to the next space (with backslash escapes too).
std::vector<Span> ConninfoPasswords(std::string_view s) {
  std::vector<Span> spans;
  for (size_t p = 0; p < s.size();) {
    size_t key = p;
    if (key > 0 && !std::isspace(static_cast<unsigned char>(s[key - 1]))) {
      ++p;
      continue;
    }
    size_t q = key;
    while (q < s.size() && (std::isalnum(static_cast<unsigned char>(s[q])) || s[q] == '_')) ++q;
    if (!IsPasswordKey(s.substr(key, q - key))) {
      p = q > key ? q : key + 1;
      continue;
    }
    while (q < s.size() && std::isspace(static_cast<unsigned char>(s[q]))) ++q;
    if (q >= s.size() || s[q] != '=') {
      p = q;
      continue;
    }
    ++q;
    while (q < s.size() && std::isspace(static_cast<unsigned char>(s[q]))) ++q;
    size_t begin = q;
    bool quoted = q < s.size() && s[q] == '\'';
    if (quoted) ++q;
    while (q < s.size()) {
      if (s[q] == '\\' && q + 1 < s.size()) {
        q += 2;
        continue;
      }
      if (quoted ? s[q] == '\'' : std::isspace(static_cast<unsigned char>(s[q]))) break;
      ++q;
    }
    if (quoted && q < s.size()) ++q;  // the closing quote is hidden with the value
    spans.emplace_back(begin, q);
    p = q;
  }
  return spans;
}

std::vector<Span> Passwords(std::string_view s) { return IsUri(s) ? UriPasswords(s) : ConninfoPasswords(s); }

void ReplaceAll(std::string& text, const std::string& secret) {
  if (secret.size() < 3) return;
  for (size_t at = 0; (at = text.find(secret, at)) != std::string::npos; at += 3) {
    text.replace(at, secret.size(), "***");  // on past the "***": a secret of "***" ends too
  }
}

}  // namespace

std::string RedactPassword(std::string_view target) {
  std::string out(target);
  auto spans = Passwords(target);
  // From the last, so that earlier offsets stay valid.
  for (auto it = spans.rbegin(); it != spans.rend(); ++it) out.replace(it->first, it->second - it->first, "***");
  return out;
}

bool PasswordNeedsEncoding(std::string_view target) {
  if (!IsUri(target)) return false;
  auto spans = UriPasswords(target);
  if (spans.empty()) return false;
  auto [begin, end] = spans.front();
  return target.substr(begin, end - begin).find_first_of("@/") != std::string_view::npos;
}

std::string ScrubPasswords(std::string text, std::string_view target) {
  for (auto [begin, end] : Passwords(target)) {
    std::string_view secret = target.substr(begin, end - begin);
    ReplaceAll(text, std::string(secret));
    ReplaceAll(text, PercentDecoded(secret));
  }
  return text;
}

}  // namespace gc::storage
