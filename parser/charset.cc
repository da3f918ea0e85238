#include "parser/charset.h"

#include <iconv.h>

#include <cctype>
#include <cerrno>

#include "parser/ascii.h"
#include "text/utf8.h"

namespace gc {
namespace {

// The charset parameter of a Content-Type value, or of a meta content attribute ("text/html; charset=x").
std::string CharsetParam(std::string_view value) {
  std::string v = AsciiLowerCopy(value);
  size_t at = v.find("charset");
  if (at == std::string::npos) return {};
  at = v.find('=', at);
  if (at == std::string::npos) return {};
  ++at;
  while (at < v.size() && (v[at] == ' ' || v[at] == '"' || v[at] == '\'')) ++at;
  size_t end = v.find_first_of(" ;\"'>", at);
  return v.substr(at, end == std::string::npos ? std::string::npos : end - at);
}

// WHATWG labels to iconv names, for the labels pages use. Unknown labels pass through upper-cased.
std::string Canonical(const std::string& label) {
  if (label.empty()) return {};
  if (label == "utf-8" || label == "utf8" || label == "unicode-1-1-utf-8") return "UTF-8";
  if (label == "iso-8859-1" || label == "latin1" || label == "us-ascii" || label == "ascii" ||
      label == "windows-1252" || label == "cp1252" || label == "l1" || label == "iso8859-1") {
    return "WINDOWS-1252";
  }
  if (label == "utf-16" || label == "utf-16le") return "UTF-16LE";
  if (label == "utf-16be") return "UTF-16BE";
  if (label == "shift_jis" || label == "sjis" || label == "x-sjis" || label == "ms_kanji") return "SHIFT_JIS";
  if (label == "gb2312" || label == "gbk" || label == "x-gbk") return "GBK";
  std::string out = label;
  for (char& c : out) c = char(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

// <meta charset=...> or <meta http-equiv=content-type content="...; charset=..."> in the first 1,024 bytes.
// Searched in place: this runs on every page, and a lower-cased copy of the 1,024 bytes was 2 % of a list
// crawl's loop thread.
std::string MetaCharset(std::string_view body) {
  std::string_view head = body.substr(0, 1024);
  for (size_t at = IFind(head, "<meta", 0); at != std::string_view::npos; at = IFind(head, "<meta", at + 5)) {
    size_t end = head.find('>', at);
    std::string_view tag = head.substr(at, end == std::string_view::npos ? std::string_view::npos : end - at);
    size_t cs = IFind(tag, "charset", 0);
    if (cs == std::string_view::npos) continue;
    std::string label = CharsetParam(tag.substr(cs));
    if (!label.empty()) return label;
  }
  return {};
}

bool ValidUtf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    size_t n = Utf8SequenceLength(s, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

}  // namespace

std::string SniffCharset(std::string_view body, std::string_view content_type) {
  if (body.size() >= 3 && body.substr(0, 3) == "\xEF\xBB\xBF") return "UTF-8";
  if (body.size() >= 2 && body.substr(0, 2) == "\xFF\xFE") return "UTF-16LE";
  if (body.size() >= 2 && body.substr(0, 2) == "\xFE\xFF") return "UTF-16BE";
  if (std::string c = Canonical(CharsetParam(content_type)); !c.empty()) return c;
  if (std::string c = Canonical(MetaCharset(body)); !c.empty()) {
    // A page that says UTF-16 in a <meta> it could be read by was not UTF-16 (the standard's rule).
    return c.rfind("UTF-16", 0) == 0 ? "UTF-8" : c;
  }
  return ValidUtf8(body.substr(0, 64 * 1024)) ? "UTF-8" : "WINDOWS-1252";
}

std::optional<std::string> ToUtf8(std::string_view body, std::string_view content_type) {
  std::string from = SniffCharset(body, content_type);
  if (from == "UTF-8") return std::nullopt;
  iconv_t cd = iconv_open("UTF-8", from.c_str());
  if (cd == iconv_t(-1)) return std::nullopt;
  std::string out;
  out.reserve(body.size() + body.size() / 2);
  char* in = const_cast<char*>(body.data());
  size_t in_left = body.size();
  char buf[16384];
  while (in_left > 0) {
    char* o = buf;
    size_t o_left = sizeof buf;
    size_t rc = iconv(cd, &in, &in_left, &o, &o_left);
    out.append(buf, size_t(o - buf));
    if (rc == size_t(-1)) {
      if (errno == E2BIG) continue;
      // An invalid or truncated sequence: one replacement character, then go on after the byte.
      out += "\xEF\xBF\xBD";
      ++in;
      --in_left;
      iconv(cd, nullptr, nullptr, nullptr, nullptr);
    }
  }
  iconv_close(cd);
  return out;
}

}  // namespace gc
