#include "crawler/sitemap_reader.h"

#include <libxml/parser.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlreader.h>
#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <mutex>
#include <utility>

namespace gc {
namespace {

// libxml2 must be initialised once, on one thread, before threads use it (xmlInitParser(3)). No external
// entity is ever loaded, whatever a document asks: the options below already keep DTDs and external
// entities unloaded; this loader is the second lock on the same door.
xmlParserInputPtr RefuseExternalEntity(const char*, const char*, xmlParserCtxtPtr) { return nullptr; }

void InitLibxml() {
  static std::once_flag once;
  std::call_once(once, [] {
    xmlInitParser();
    xmlSetExternalEntityLoader(RefuseExternalEntity);
  });
}

// No XML_PARSE_NOENT (entities stay references, never expanded), no XML_PARSE_DTDLOAD / DTDATTR /
// DTDVALID (no external DTD is read), XML_PARSE_NONET (no network even if asked), no XML_PARSE_HUGE
// (libxml2's own size and amplification limits stay on). Errors are collected, not printed.
constexpr int kXmlOptions = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING;

std::string Trim(std::string s) {
  auto space = [](unsigned char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v'; };
  size_t b = 0, e = s.size();
  while (b < e && space(s[b])) ++b;
  while (e > b && space(s[e - 1])) --e;
  return s.substr(b, e - b);
}

bool Named(const xmlChar* name, const char* want) {
  return name && std::strcmp(reinterpret_cast<const char*>(name), want) == 0;
}

}  // namespace

struct SitemapReader::Inflate {
  z_stream z{};
  bool ended = false;
  Inflate() {
    // 16 + MAX_WBITS: a gzip wrapper (RFC 1952), as .xml.gz files have.
    if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) throw std::bad_alloc();
  }
  ~Inflate() { inflateEnd(&z); }
};

struct SitemapReader::Xml {
  xmlTextReaderPtr reader = nullptr;
  enum Field { kNone, kLoc, kLastmod } field = kNone;
  bool in_entry = false;
  bool loc_too_long = false;
  SitemapEntry entry;
  ~Xml() {
    if (reader) xmlFreeTextReader(reader);
  }
};

namespace {

int XmlRead(void* context, char* buf, int len) { return static_cast<SitemapReader*>(context)->Read(buf, len); }

void XmlError(void* context, xmlErrorPtr error) {
  auto* message = static_cast<std::string*>(context);
  if (message->empty() && error && error->message) {
    *message = Trim(std::string(error->message).substr(0, 300));
    if (message->empty()) *message = "malformed XML";
    *message = "line " + std::to_string(error->line) + ": " + *message;
  }
}

}  // namespace

SitemapReader::SitemapReader(std::string body, SitemapLimits limits) : body_(std::move(body)), limits_(limits) {
  InitLibxml();  // here, on the thread that makes readers (the loop), not on a pool thread mid-parse
}

SitemapReader::~SitemapReader() = default;

int SitemapReader::Read(char* buf, int len) {
  if (len <= 0) return 0;
  if (!peek_.empty()) {
    int n = std::min<int>(len, int(peek_.size()));
    std::memcpy(buf, peek_.data(), size_t(n));
    peek_.erase(0, size_t(n));
    return n;
  }
  bool more = inflate_ ? !inflate_->ended : pos_ < body_.size();
  if (!more) return 0;
  if (produced_ >= limits_.max_bytes) {
    truncated_ = true;  // there is more, and it is over the cap
    return 0;
  }
  len = int(std::min<int64_t>(len, limits_.max_bytes - produced_));
  if (!inflate_) {
    size_t n = std::min(size_t(len), body_.size() - pos_);
    std::memcpy(buf, body_.data() + pos_, n);
    pos_ += n;
    produced_ += int64_t(n);
    return int(n);
  }
  z_stream& z = inflate_->z;
  z.next_out = reinterpret_cast<Bytef*>(buf);
  z.avail_out = uInt(len);
  while (z.avail_out == uInt(len)) {
    // zlib takes at most uInt of input per call; feed it in slices.
    size_t in = std::min<size_t>(body_.size() - pos_, 1 << 20);
    z.next_in = reinterpret_cast<Bytef*>(body_.data() + pos_);
    z.avail_in = uInt(in);
    int rc = inflate(&z, Z_NO_FLUSH);
    pos_ += in - z.avail_in;
    if (rc == Z_STREAM_END) {
      inflate_->ended = true;
      break;
    }
    if (rc == Z_BUF_ERROR && pos_ >= body_.size()) {
      if (error_.empty()) error_ = "the gzip stream ends early";
      inflate_->ended = true;
      break;
    }
    if (rc != Z_OK && rc != Z_BUF_ERROR) {
      if (error_.empty()) error_ = std::string("broken gzip stream: ") + (z.msg ? z.msg : "inflate failed");
      inflate_->ended = true;
      return -1;
    }
  }
  int n = len - int(z.avail_out);
  produced_ += n;
  return n;
}

void SitemapReader::Start() {
  started_ = true;
  if (body_.size() >= 2 && uint8_t(body_[0]) == 0x1f && uint8_t(body_[1]) == 0x8b) {
    inflate_ = std::make_unique<Inflate>();
  }
  // Tell XML from text by the first character that is not a byte-order mark or white space.
  char buf[512];
  int n = Read(buf, sizeof buf);
  if (n < 0) {
    done_ = true;
    return;
  }
  peek_.assign(buf, size_t(n));
  size_t i = peek_.rfind("\xEF\xBB\xBF", 0) == 0 ? 3 : 0;
  while (i < peek_.size() && (peek_[i] == ' ' || peek_[i] == '\t' || peek_[i] == '\r' || peek_[i] == '\n')) ++i;
  if (i == peek_.size()) {
    error_ = "empty file";
    done_ = true;
    return;
  }
  if (peek_[i] != '<') {
    kind_ = Kind::kText;
    return;
  }
  xml_ = std::make_unique<Xml>();
  xml_->reader = xmlReaderForIO(XmlRead, nullptr, this, "sitemap.xml", nullptr, kXmlOptions);
  if (!xml_->reader) {
    error_ = "libxml2 could not start a reader";
    done_ = true;
    return;
  }
  xmlTextReaderSetStructuredErrorHandler(xml_->reader, XmlError, &error_);
}

std::vector<SitemapEntry> SitemapReader::Next(size_t max) {
  std::vector<SitemapEntry> out;
  if (!started_) Start();
  if (done_) return out;
  if (kind_ == Kind::kText) {
    NextText(max, out);
  } else {
    NextXml(max, out);
  }
  return out;
}

void SitemapReader::Take(SitemapEntry e, std::vector<SitemapEntry>& out) {
  if (entries_ >= limits_.max_entries) {
    truncated_ = true;
    done_ = true;
    return;
  }
  e.loc = Trim(std::move(e.loc));
  e.lastmod = Trim(std::move(e.lastmod)).substr(0, 64);
  if (e.loc.empty() || e.loc.size() > limits_.max_loc_bytes) {
    ++skipped_;
    return;
  }
  ++entries_;
  out.push_back(std::move(e));
}

void SitemapReader::NextXml(size_t max, std::vector<SitemapEntry>& out) {
  Xml& x = *xml_;
  while (!done_ && out.size() < max) {
    int rc = xmlTextReaderRead(x.reader);
    if (rc != 1) {
      // 0: the document ended; -1: an error (recorded by XmlError, or by Read for the gzip stream).
      if (rc < 0 && error_.empty() && !truncated_) error_ = "malformed XML";
      if (truncated_ && rc < 0) error_.clear();  // cut off at the byte cap: expected to be malformed
      done_ = true;
      break;
    }
    int type = xmlTextReaderNodeType(x.reader);
    int depth = xmlTextReaderDepth(x.reader);
    const xmlChar* name = xmlTextReaderConstLocalName(x.reader);
    if (type == XML_READER_TYPE_ELEMENT) {
      bool empty = xmlTextReaderIsEmptyElement(x.reader) == 1;
      if (depth == 0) {
        if (Named(name, "urlset")) {
          kind_ = Kind::kUrlSet;
        } else if (Named(name, "sitemapindex")) {
          kind_ = Kind::kIndex;
        } else {
          error_ = "not a sitemap: the root element is <" +
                   std::string(name ? reinterpret_cast<const char*>(name) : "?").substr(0, 60) + ">";
          done_ = true;
        }
      } else if (depth == 1 && Named(name, kind_ == Kind::kIndex ? "sitemap" : "url")) {
        x.in_entry = true;
        x.entry = SitemapEntry{};
        x.loc_too_long = false;
        if (empty) {
          x.in_entry = false;
          ++skipped_;
        }
      } else if (depth == 2 && x.in_entry && !empty) {
        x.field = Named(name, "loc") ? Xml::kLoc : Named(name, "lastmod") ? Xml::kLastmod : Xml::kNone;
      }
    } else if (type == XML_READER_TYPE_TEXT || type == XML_READER_TYPE_CDATA ||
               type == XML_READER_TYPE_SIGNIFICANT_WHITESPACE) {
      if (x.field == Xml::kNone || !x.in_entry) continue;
      const xmlChar* value = xmlTextReaderConstValue(x.reader);
      if (!value) continue;
      std::string& into = x.field == Xml::kLoc ? x.entry.loc : x.entry.lastmod;
      size_t cap = x.field == Xml::kLoc ? limits_.max_loc_bytes + 64 : 128;  // room for white space to trim
      size_t len = std::strlen(reinterpret_cast<const char*>(value));
      if (into.size() + len > cap) {
        if (x.field == Xml::kLoc) x.loc_too_long = true;
        len = cap > into.size() ? cap - into.size() : 0;
      }
      into.append(reinterpret_cast<const char*>(value), len);
    } else if (type == XML_READER_TYPE_END_ELEMENT) {
      if (depth == 2) {
        x.field = Xml::kNone;
      } else if (depth == 1 && x.in_entry) {
        x.in_entry = false;
        if (x.loc_too_long) {
          ++skipped_;
        } else {
          Take(std::move(x.entry), out);
        }
      }
    }
  }
  if (done_) xml_.reset();  // the reader's buffers go now, not with the SitemapReader
}

void SitemapReader::NextText(size_t max, std::vector<SitemapEntry>& out) {
  char buf[16 * 1024];
  while (!done_ && out.size() < max) {
    int n = Read(buf, sizeof buf);
    if (n <= 0) {
      if (!text_line_.empty()) Take(SitemapEntry{std::exchange(text_line_, {}), {}}, out);
      done_ = true;
      break;
    }
    for (int i = 0; i < n && !done_; ++i) {
      if (buf[i] == '\n') {
        std::string line = Trim(std::exchange(text_line_, {}));
        if (line.rfind("\xEF\xBB\xBF", 0) == 0) line.erase(0, 3);
        if (!line.empty()) Take(SitemapEntry{std::move(line), {}}, out);
      } else if (text_line_.size() <= limits_.max_loc_bytes + 64) {
        text_line_ += buf[i];  // a longer line is cut here, and skipped by Take for its length
      }
    }
  }
}

std::vector<std::string> RobotsSitemaps(const std::string& robots_txt, size_t max) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < robots_txt.size() && out.size() < max) {
    size_t end = robots_txt.find('\n', start);
    if (end == std::string::npos) end = robots_txt.size();
    std::string line = robots_txt.substr(start, end - start);
    start = end + 1;
    if (size_t hash = line.find('#'); hash != std::string::npos) line.resize(hash);
    size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string key = Trim(line.substr(0, colon));
    std::transform(key.begin(), key.end(), key.begin(), [](unsigned char c) { return char(std::tolower(c)); });
    if (key != "sitemap") continue;
    std::string value = Trim(line.substr(colon + 1));
    if (!value.empty() && value.size() <= 2083) out.push_back(std::move(value));
  }
  return out;
}

}  // namespace gc
