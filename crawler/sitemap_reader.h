// SitemapReader: the URLs of one sitemap file (sitemaps.org protocol), read a batch at a time. The file
// may be an XML <urlset>, an XML <sitemapindex> (its <loc>s are further sitemaps), or a text sitemap
// (one URL a line), each plain or gzip/zlib-compressed (detected by its first bytes, not its name).
//
// Streaming: the body is inflated and fed to libxml2's xmlTextReader a few KB at a time, so neither the
// decompressed file nor a tree of it is ever in memory; Next() stops after `max` entries and the next
// call carries on where it stopped. What one file may contribute is capped by SitemapLimits (the
// protocol's 50,000 URLs and 50 MB uncompressed), and reading past a cap ends the file as "truncated".
//
// Hostile XML: entity substitution, DTD loading and network access are off (no XML_PARSE_NOENT, no
// XML_PARSE_DTDLOAD, XML_PARSE_NONET, and an external entity loader that refuses everything), so a
// "billion laughs" document costs nothing and an external entity (XXE) never reads a file.
//
// CPU-bound: call it on a pool thread (RunInPool). One thread at a time; it may move between threads
// between calls (RunInPool's hand-off orders them).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace gc {

struct SitemapLimits {
  int64_t max_bytes = 50'000'000;    // uncompressed bytes read from one file (the protocol: 50 MB)
  int64_t max_entries = 50'000;      // <url>s or <sitemap>s (or text lines) taken from one file
  size_t max_loc_bytes = 2083;       // longer <loc>s are skipped (the parser's URL cap, see page_links.h)
};

struct SitemapEntry {
  std::string loc;      // as written, trimmed; not yet resolved or checked
  std::string lastmod;  // as written (W3C datetime), trimmed; empty when absent
};

class SitemapReader {
 public:
  enum class Kind { kUnknown, kUrlSet, kIndex, kText };

  // `body` is the file as fetched (compressed or not).
  explicit SitemapReader(std::string body, SitemapLimits limits = {});
  ~SitemapReader();
  SitemapReader(const SitemapReader&) = delete;
  SitemapReader& operator=(const SitemapReader&) = delete;

  // Up to `max` more entries; an empty vector once the file is done (then done() is true).
  std::vector<SitemapEntry> Next(size_t max);

  bool done() const { return done_; }
  Kind kind() const { return kind_; }
  int64_t entries() const { return entries_; }  // taken so far
  int64_t skipped() const { return skipped_; }  // <loc>s over max_loc_bytes, empty, or text lines not http(s)
  // Reading stopped at a cap (max_entries or max_bytes): the file holds more than was taken.
  bool truncated() const { return truncated_; }
  // Why the file could not be read to its end ("not a sitemap", the XML parser's first error, a broken
  // gzip stream); empty when it could. Entries taken before the error stand.
  const std::string& error() const { return error_; }

  // Used by the libxml2 read callback: fills `buf` with up to `len` decompressed bytes; 0 at the end
  // (or at max_bytes), -1 on a broken compressed stream.
  int Read(char* buf, int len);

 private:
  struct Xml;      // the xmlTextReader and its state (sitemap_reader.cc)
  struct Inflate;  // the zlib stream, when the body is compressed
  void Start();
  void NextXml(size_t max, std::vector<SitemapEntry>& out);
  void NextText(size_t max, std::vector<SitemapEntry>& out);
  void Take(SitemapEntry e, std::vector<SitemapEntry>& out);

  std::string body_;
  SitemapLimits limits_;
  size_t pos_ = 0;            // next byte of body_ (compressed or not) to consume
  int64_t produced_ = 0;      // uncompressed bytes handed out so far
  std::unique_ptr<Inflate> inflate_;
  std::unique_ptr<Xml> xml_;
  std::string peek_;          // the first uncompressed bytes, read to tell XML from text, handed out first
  std::string text_line_;     // text sitemaps: the line read so far
  bool started_ = false;
  bool done_ = false;
  bool truncated_ = false;
  Kind kind_ = Kind::kUnknown;
  int64_t entries_ = 0;
  int64_t skipped_ = 0;
  std::string error_;
};

// The `Sitemap:` lines of a robots.txt body, in order, at most `max` (RFC 9309 section 2.2.4: other
// records; the URL stands alone on its line and is not bound to a user-agent group).
std::vector<std::string> RobotsSitemaps(const std::string& robots_txt, size_t max = 100);

}  // namespace gc
