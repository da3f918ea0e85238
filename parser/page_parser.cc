#include "parser/page_parser.h"

#include <gumbo.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <unordered_map>
#include <unordered_set>

#include "parser/ascii.h"
#include "parser/charset.h"
#include "parser/parse_budget.h"
#include "text/utf8.h"
#include "urls/url.h"

namespace gc {
namespace {

// True when the whitespace-separated token list `value` contains `token` (ASCII case-insensitive), as
// for rel="..." and meta robots content (which also allows commas).
bool HasToken(std::string_view value, std::string_view token) {
  size_t i = 0;
  while (i < value.size()) {
    while (i < value.size() && (std::isspace(static_cast<unsigned char>(value[i])) || value[i] == ',')) ++i;
    size_t start = i;
    while (i < value.size() && !std::isspace(static_cast<unsigned char>(value[i])) && value[i] != ',') ++i;
    if (i > start && IEquals(value.substr(start, i - start), token)) return true;
  }
  return false;
}

const char* Attr(const GumboElement& e, const char* name) {
  const GumboAttribute* a = gumbo_get_attribute(&e.attributes, name);
  return a ? a->value : nullptr;
}

// gumbo 0.10.1 predates <picture>: it is an unknown element, known by its name as written.
bool IsPicture(const GumboElement& e) {
  if (e.tag != GUMBO_TAG_UNKNOWN) return false;
  GumboStringPiece name = e.original_tag;  // "<picture ...>", pointing into the input
  gumbo_tag_from_original_text(&name);     // now just "picture"
  return IEquals(std::string_view(name.data, name.length), "picture");
}

// ---- The nesting guard ------------------------------------------------------------------------------
// gumbo 0.10.1 has no depth limit, its tree building is quadratic in nesting depth and some of its code
// recurses, so a hostile page of 300,000 nested <div>s would take minutes or overflow a pool thread's
// stack. Before parsing, a light scan estimates the depth of the open-element stack the way the HTML
// tree builder would for the common cases (void elements, raw-text elements, end tags closing the
// nearest matching open element, li/p/td/... closing their open twin) and returns where the input must be
// cut so that the estimate never passes max_depth.

bool IsVoid(std::string_view tag) {
  static constexpr std::string_view kVoid[] = {"area", "base", "br",   "col",   "embed", "hr",    "img",
                                               "input", "link", "meta", "param", "source", "track", "wbr"};
  return std::find(std::begin(kVoid), std::end(kVoid), tag) != std::end(kVoid);
}
bool IsRawText(std::string_view tag) {
  return tag == "script" || tag == "style" || tag == "textarea" || tag == "title" || tag == "xmp" ||
         tag == "noembed" || tag == "noframes" || tag == "plaintext";
}
bool ClosesTwin(std::string_view tag) {
  return tag == "p" || tag == "li" || tag == "dt" || tag == "dd" || tag == "option" || tag == "tr" || tag == "td" ||
         tag == "th" || tag == "thead" || tag == "tbody" || tag == "tfoot";
}

size_t DepthSafePrefix(std::string_view html, size_t max_depth) {
  std::vector<std::string> open;
  size_t i = 0;
  while ((i = html.find('<', i)) != std::string_view::npos) {
    size_t start = i;
    if (html.compare(i, 4, "<!--") == 0) {
      size_t end = html.find("-->", i + 4);
      i = end == std::string_view::npos ? html.size() : end + 3;
      continue;
    }
    bool closing = i + 1 < html.size() && html[i + 1] == '/';
    size_t name_start = i + (closing ? 2 : 1);
    size_t j = name_start;
    while (j < html.size() && (std::isalnum(static_cast<unsigned char>(html[j])) || html[j] == '-')) ++j;
    size_t gt = html.find('>', j);
    if (j == name_start || !std::isalpha(static_cast<unsigned char>(html[name_start]))) {
      i = start + 1;  // "<!doctype", "<?xml", "< 3": not an element
      continue;
    }
    std::string tag = AsciiLowerCopy(html.substr(name_start, j - name_start));
    i = gt == std::string_view::npos ? html.size() : gt + 1;
    if (closing) {
      auto it = std::find(open.rbegin(), open.rend(), tag);
      if (it != open.rend()) open.erase(std::prev(it.base()), open.end());
      continue;
    }
    bool self_closing = gt != std::string_view::npos && gt > 0 && html[gt - 1] == '/';
    if (IsVoid(tag) || self_closing) continue;
    if (ClosesTwin(tag)) {
      auto it = std::find(open.rbegin(), open.rend(), tag);
      if (it != open.rend()) open.erase(std::prev(it.base()), open.end());
    }
    if (open.size() + 1 > max_depth) return start;
    if (IsRawText(tag)) {
      size_t end = IFind(html, "</" + tag, i);
      i = end == std::string_view::npos ? html.size() : end;
      continue;
    }
    open.push_back(std::move(tag));
  }
  return html.size();
}

// ---- Extraction -------------------------------------------------------------------------------------

struct RawLink {
  std::string href;
  bool nofollow;
  ResourceKind resource;
};

// The URLs of a srcset attribute ("a.png 1x, b.png 2x"), as HTML's "parse a srcset attribute" splits its
// candidates: a URL runs to the next whitespace (trailing commas are separators), its descriptors to the
// next comma outside parentheses.
std::vector<std::string> SrcsetUrls(std::string_view v) {
  std::vector<std::string> out;
  size_t i = 0;
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'; };
  while (i < v.size()) {
    while (i < v.size() && (space(v[i]) || v[i] == ',')) ++i;
    size_t start = i;
    while (i < v.size() && !space(v[i])) ++i;
    std::string_view url = v.substr(start, i - start);
    bool ended = false;  // the URL's trailing comma ended the candidate: no descriptors
    while (!url.empty() && url.back() == ',') {
      url.remove_suffix(1);
      ended = true;
    }
    if (!url.empty()) out.emplace_back(url);
    if (ended) continue;
    int parens = 0;
    while (i < v.size() && (parens > 0 || v[i] != ',')) {
      if (v[i] == '(') ++parens;
      if (v[i] == ')' && parens > 0) --parens;
      ++i;
    }
  }
  return out;
}

// <link rel=preload as=...>: what the preloaded file is to the page (nullopt: not a kind kept).
std::optional<ResourceKind> PreloadKind(const char* as) {
  if (!as) return std::nullopt;
  if (IEquals(as, "image")) return ResourceKind::kImage;
  if (IEquals(as, "script")) return ResourceKind::kScript;
  if (IEquals(as, "style") || IEquals(as, "font")) return ResourceKind::kStyle;
  if (IEquals(as, "audio") || IEquals(as, "video") || IEquals(as, "track")) return ResourceKind::kMedia;
  if (IEquals(as, "document")) return ResourceKind::kFrame;
  return std::nullopt;
}

std::string TextOf(const GumboNode* node, size_t max_bytes) {
  std::string text;
  const GumboVector& kids = node->v.element.children;
  for (unsigned i = 0; i < kids.length; ++i) {
    auto* kid = static_cast<const GumboNode*>(kids.data[i]);
    if (kid->type == GUMBO_NODE_TEXT || kid->type == GUMBO_NODE_WHITESPACE || kid->type == GUMBO_NODE_CDATA) {
      text += kid->v.text.text;
      if (text.size() > 4 * max_bytes) break;
    }
  }
  return CleanText(text, max_bytes);
}

// "5; url=http://example.com/" -> "http://example.com/" (HTML's "shared declarative refresh steps").
std::string RefreshTarget(std::string_view content) {
  size_t semi = content.find_first_of(";,");
  if (semi == std::string_view::npos) return {};
  std::string_view rest = content.substr(semi + 1);
  size_t k = 0;
  while (k < rest.size() && std::isspace(static_cast<unsigned char>(rest[k]))) ++k;
  rest.remove_prefix(k);
  if (rest.size() >= 3 && IEquals(rest.substr(0, 3), "url")) {
    size_t eq = rest.find('=');
    if (eq != std::string_view::npos) rest.remove_prefix(eq + 1);
  }
  while (!rest.empty() && std::isspace(static_cast<unsigned char>(rest.front()))) rest.remove_prefix(1);
  if (!rest.empty() && (rest.front() == '\'' || rest.front() == '"')) {
    char q = rest.front();
    rest.remove_prefix(1);
    size_t end = rest.find(q);
    if (end != std::string_view::npos) rest = rest.substr(0, end);
  }
  return std::string(rest);
}

std::string CharsetFromContentType(std::string_view v) {
  size_t pos = IFind(v, "charset=", 0);
  if (pos == std::string_view::npos) return {};
  std::string_view rest = v.substr(pos + 8);
  while (!rest.empty() && (rest.front() == '"' || rest.front() == '\'')) rest.remove_prefix(1);
  size_t end = rest.find_first_of("\"'; \t");
  return AsciiLowerCopy(rest.substr(0, end));
}

class Extractor {
 public:
  Extractor(PageInfo& info, const ParseOptions& options) : info_(info), options_(options) {}

  void Walk(const GumboNode* root) {
    std::vector<const GumboNode*> stack{root};  // iterative: pool threads have small stacks
    while (!stack.empty()) {
      const GumboNode* node = stack.back();
      stack.pop_back();
      if (node->type != GUMBO_NODE_ELEMENT && node->type != GUMBO_NODE_TEMPLATE) continue;
      Visit(node);
      const GumboVector& kids = node->v.element.children;
      for (unsigned i = kids.length; i > 0; --i) stack.push_back(static_cast<const GumboNode*>(kids.data[i - 1]));
    }
  }

  std::vector<RawLink> links;
  std::vector<std::string> anchors;  // with options.fragments: as found, capped
  std::optional<std::string> base_href;
  std::optional<std::string> canonical_href;
  std::optional<std::string> refresh_href;

 private:
  void AddLink(const char* href, bool nofollow, ResourceKind resource = ResourceKind::kNone) {
    if (!href || links.size() >= 4 * options_.max_links) return;
    links.push_back({href, nofollow, resource});
  }
  void AddResource(const char* href, ResourceKind kind) {
    if (options_.links && options_.resources) AddLink(href, false, kind);
  }
  void AddSrcset(const char* srcset, ResourceKind kind) {
    if (!srcset || !options_.links || !options_.resources) return;
    for (const std::string& url : SrcsetUrls(srcset)) AddLink(url.c_str(), false, kind);
  }
  void VisitLinkElement(const GumboElement& e) {
    const char* rel = Attr(e, "rel");
    if (!rel) return;
    if (HasToken(rel, "canonical")) {
      if (const char* href = Attr(e, "href"); href && !canonical_href) canonical_href = href;
    } else if (HasToken(rel, "stylesheet")) {
      AddResource(Attr(e, "href"), ResourceKind::kStyle);
    } else if (HasToken(rel, "icon")) {
      AddResource(Attr(e, "href"), ResourceKind::kImage);
    } else if (HasToken(rel, "preload")) {
      if (auto kind = PreloadKind(Attr(e, "as"))) AddResource(Attr(e, "href"), *kind);
    }
  }

  // HTML's "find a potential indicated element": an element whose id is the fragment, else an <a> whose
  // name is. Any element counts (SVG ones too), so every id is kept.
  void AddAnchor(const char* name) {
    if (!name || !*name) return;
    if (anchors.size() >= kMaxAnchors || std::strlen(name) > kMaxAnchorBytes) {
      info_.anchors_capped = true;
      return;
    }
    anchors.emplace_back(name);
  }

  void Visit(const GumboNode* node) {
    const GumboElement& e = node->v.element;
    bool html_ns = e.tag_namespace == GUMBO_NAMESPACE_HTML;
    if (options_.fragments) {
      AddAnchor(Attr(e, "id"));
      if (e.tag == GUMBO_TAG_A) AddAnchor(Attr(e, "name"));
    }
    switch (e.tag) {
      case GUMBO_TAG_HTML:
        if (const char* lang = Attr(e, "lang"); lang && info_.lang.empty()) info_.lang = CleanText(lang, 64);
        break;
      case GUMBO_TAG_TITLE:
        if (html_ns && !title_seen_) {
          title_seen_ = true;
          info_.title = TextOf(node, options_.max_title_bytes);
        }
        break;
      case GUMBO_TAG_BASE:
        if (const char* href = Attr(e, "href"); href && !base_href) base_href = href;
        break;
      case GUMBO_TAG_A:
      case GUMBO_TAG_AREA:
        if (options_.links) {
          const char* rel = Attr(e, "rel");
          AddLink(Attr(e, "href"), rel && HasToken(rel, "nofollow"));
        }
        break;
      case GUMBO_TAG_FRAME:
        if (options_.links) AddLink(Attr(e, "src"), false);
        break;
      case GUMBO_TAG_IFRAME:
        // An embedded document: checked as a frame when resources are, else followed as a link (as before).
        if (options_.links) AddLink(Attr(e, "src"), false, options_.resources ? ResourceKind::kFrame : ResourceKind::kNone);
        break;
      case GUMBO_TAG_LINK:
        VisitLinkElement(e);
        break;
      case GUMBO_TAG_SCRIPT:
        AddResource(Attr(e, "src"), ResourceKind::kScript);
        break;
      case GUMBO_TAG_IMG:
        AddResource(Attr(e, "src"), ResourceKind::kImage);
        AddSrcset(Attr(e, "srcset"), ResourceKind::kImage);
        break;
      case GUMBO_TAG_VIDEO:
      case GUMBO_TAG_AUDIO:
        AddResource(Attr(e, "src"), ResourceKind::kMedia);
        break;
      case GUMBO_TAG_SOURCE: {
        // <source src> picks a video's or audio's file, <source srcset> a <picture>'s image.
        const GumboNode* parent = node->parent;
        if (!parent || parent->type != GUMBO_NODE_ELEMENT) break;
        GumboTag in = parent->v.element.tag;
        if (IsPicture(parent->v.element)) AddSrcset(Attr(e, "srcset"), ResourceKind::kImage);
        if (in == GUMBO_TAG_VIDEO || in == GUMBO_TAG_AUDIO) AddResource(Attr(e, "src"), ResourceKind::kMedia);
        break;
      }
      case GUMBO_TAG_META:
        VisitMeta(e);
        break;
      default:
        break;
    }
  }

  void VisitMeta(const GumboElement& e) {
    const char* name = Attr(e, "name");
    const char* content = Attr(e, "content");
    const char* equiv = Attr(e, "http-equiv");
    if (name && content && IEquals(name, "robots")) {
      bool none = HasToken(content, "none");
      info_.noindex |= none || HasToken(content, "noindex");
      info_.nofollow |= none || HasToken(content, "nofollow");
    }
    if (equiv && content && IEquals(equiv, "refresh") && !refresh_href) {
      std::string target = RefreshTarget(content);
      if (!target.empty()) refresh_href = target;
    }
    if (info_.charset.empty()) {
      if (const char* cs = Attr(e, "charset")) {
        info_.charset = AsciiLowerCopy(CleanText(cs, 64));
      } else if (equiv && content && IEquals(equiv, "content-type")) {
        info_.charset = CharsetFromContentType(content);
      }
    }
  }

  PageInfo& info_;
  const ParseOptions& options_;
  bool title_seen_ = false;
};

// The fragment of an href as HTML compares it with ids: after the first '#', percent-decoded (as written
// when the decoded bytes are not UTF-8). nullopt for none, "" and "top" (always the top of the page).
std::optional<std::string> FragmentOf(std::string_view href) {
  size_t hash = href.find('#');
  if (hash == std::string_view::npos) return std::nullopt;
  std::string_view raw = href.substr(hash + 1);
  while (!raw.empty() && static_cast<unsigned char>(raw.back()) <= 0x20) raw.remove_suffix(1);  // href is trimmed
  if (raw.empty() || raw.size() > kMaxAnchorBytes || IEquals(raw, "top")) return std::nullopt;
  std::string decoded;
  for (size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] == '%' && i + 2 < raw.size() && std::isxdigit(static_cast<unsigned char>(raw[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(raw[i + 2]))) {
      auto hex = [](char c) { return std::isdigit(static_cast<unsigned char>(c)) ? c - '0' : (c | 0x20) - 'a' + 10; };
      decoded += char(hex(raw[i + 1]) * 16 + hex(raw[i + 2]));
      i += 2;
    } else {
      decoded += raw[i];
    }
  }
  for (size_t i = 0; i < decoded.size();) {
    size_t n = Utf8SequenceLength(decoded, i);
    if (n == 0) return std::string(raw);
    i += n;
  }
  if (IEquals(decoded, "top")) return std::nullopt;
  return decoded;
}

// "gumbo's memory budget (32 MiB)": the cap a parse stopped at (kMemory or kCpu).
std::string LimitName(ParseStop stop, const ParseBudget& budget) {
  char text[96];
  if (stop == ParseStop::kMemory) {
    std::snprintf(text, sizeof text, "gumbo's memory budget (%zu MiB)", budget.max_bytes >> 20);
  } else {
    std::snprintf(text, sizeof text, "gumbo's CPU budget (%.2f s)", budget.max_cpu_s);
  }
  return text;
}

// Halving prefixes, each with half the CPU cap of the one before (but at least kMinPrefixCpuS, well
// above the budget's clock granularity, so that a small prefix does not fail for a busy machine): the
// retries together cost at most one more budget and 0.12 s, and a page whose cost grows faster than its
// length (the hostile ones) soon fits.
constexpr int kMaxPrefixTries = 12;
constexpr double kMinPrefixCpuS = 0.01;

PageInfo Extract(const GumboOutput* out, std::string_view page_url, const ParseOptions& options, PageInfo info);

}  // namespace

const char* ResourceKindName(ResourceKind kind) {
  switch (kind) {
    case ResourceKind::kImage: return "image";
    case ResourceKind::kScript: return "script";
    case ResourceKind::kStyle: return "style";
    case ResourceKind::kFrame: return "frame";
    case ResourceKind::kMedia: return "media";
    case ResourceKind::kNone: break;
  }
  return nullptr;
}

ResourceKind ResourceKindFromName(std::string_view name) {
  for (ResourceKind k : {ResourceKind::kImage, ResourceKind::kScript, ResourceKind::kStyle, ResourceKind::kFrame,
                         ResourceKind::kMedia}) {
    if (name == ResourceKindName(k)) return k;
  }
  return ResourceKind::kNone;
}

bool IsHtml(std::string_view content_type, std::string_view body) {
  std::string_view type = content_type.substr(0, content_type.find(';'));
  while (!type.empty() && std::isspace(static_cast<unsigned char>(type.back()))) type.remove_suffix(1);
  while (!type.empty() && std::isspace(static_cast<unsigned char>(type.front()))) type.remove_prefix(1);
  if (IEquals(type, "text/html") || IEquals(type, "application/xhtml+xml")) return true;
  if (!type.empty()) return false;
  // No Content-Type: sniff as the MIME Sniffing standard does for the common HTML openings.
  size_t k = 0;
  while (k < body.size() && k < 512 && std::isspace(static_cast<unsigned char>(body[k]))) ++k;
  std::string_view head = body.substr(k, 16);
  for (std::string_view p : {"<!doctype html", "<html", "<head", "<title", "<body"}) {
    if (head.size() >= p.size() && IEquals(head.substr(0, p.size()), p)) return true;
  }
  return false;
}

bool CheapToParse(std::string_view body, const ParseOptions& options) {
  if (options.links) return false;
  return IFind(body.substr(0, kInlineParseBytes + 5), "<body", 0) != std::string_view::npos ||
         body.size() <= kInlineParseBytes;
}

namespace {

// ParsePage, with `fixed` as the one budget and no prefix retries (nullopt when it is passed), or with
// BudgetFor the input and retries.
std::optional<PageInfo> ParseWithin(std::string_view body, std::string_view page_url, std::string_view content_type,
                                    const ParseOptions& options, const ParseBudget* fixed) {
  PageInfo info;
  info.html = IsHtml(content_type, body);
  if (!info.html) return info;

  // gumbo reads UTF-8: a page in Latin-1, windows-1252, Shift_JIS, UTF-16... is converted first.
  std::optional<std::string> converted = ToUtf8(body.substr(0, std::min(body.size(), kMaxParseBytes)), content_type);
  if (converted) body = *converted;
  std::string_view input = body.substr(0, std::min(body.size(), kMaxParseBytes));
  if (!options.links) {
    // Title and meta live in the head: the body is not needed, and skipping it is most of the parse cost.
    size_t body_start = IFind(input, "<body", 0);
    if (body_start != std::string_view::npos) input = input.substr(0, body_start);
  }
  size_t safe = DepthSafePrefix(input, kMaxDepth);
  info.truncated = body.size() > kMaxParseBytes || safe < input.size();
  input = input.substr(0, safe);

  ParseBudget budget = fixed ? *fixed : BudgetFor(input.size());
  budget.cancel = options.cancel;
  std::optional<BudgetedParse> parse;
  parse.emplace(input, budget);
  if (parse->stop() != ParseStop::kNone) {
    if (fixed) return std::nullopt;
    ParseStop first = parse->stop();
    info.truncated = true;
    if (first == ParseStop::kCancelled) {
      info.parse_limit = "cancelled: the crawl stopped";
      return info;
    }
    size_t read = input.size();
    ParseBudget smaller = budget;
    for (int i = 0; i < kMaxPrefixTries && parse->stop() != ParseStop::kNone && parse->stop() != ParseStop::kCancelled &&
                    read > 1;
         ++i) {
      read /= 2;
      smaller.max_cpu_s = std::max(smaller.max_cpu_s / 2, kMinPrefixCpuS);
      parse.reset();  // its memory back before the next one takes any
      parse.emplace(input.substr(0, read), smaller);
    }
    bool fit = parse->stop() == ParseStop::kNone;
    info.parse_limit = "over " + LimitName(first, budget) + ": " +
                       (fit ? "title and links are from the first " + std::to_string(read) + " of "
                            : "no prefix of the page fit, nothing read of its ") +
                       std::to_string(input.size()) + " bytes";
    if (!fit) return info;
  }
  return Extract(parse->output(), page_url, options, std::move(info));
}

PageInfo Extract(const GumboOutput* out, std::string_view page_url, const ParseOptions& options, PageInfo info) {
  Extractor ex(info, options);
  ex.Walk(out->root);

  std::string page(page_url);
  info.base_url = page;
  if (ex.base_href) {
    if (auto base = urls::Resolve(page, *ex.base_href)) info.base_url = *base;
  }
  if (ex.canonical_href) info.canonical = urls::Resolve(info.base_url, *ex.canonical_href).value_or("");
  if (ex.refresh_href) info.refresh_url = urls::Resolve(info.base_url, *ex.refresh_href).value_or("");

  if (options.fragments) {
    std::sort(ex.anchors.begin(), ex.anchors.end());
    ex.anchors.erase(std::unique(ex.anchors.begin(), ex.anchors.end()), ex.anchors.end());
    info.anchors = std::move(ex.anchors);
  }
  // No links (a title-only parse): parsing the base for them cost about a quarter of such a parse.
  if (ex.links.empty()) return info;
  std::unordered_map<std::string, size_t> seen;
  std::unordered_set<std::string> seen_fragments;  // url + '#' + fragment
  urls::Resolver resolver(info.base_url);  // the base parsed once for all the page's links
  for (const RawLink& raw : ex.links) {
    auto url = resolver.Resolve(raw.href);
    if (!url) continue;
    if (url->size() > options.max_url_bytes) {
      ++info.links_too_long;  // counted, never kept: 10,000 of them would be 600 MB (issue 15.2)
      continue;
    }
    if (options.fragments && raw.resource == ResourceKind::kNone && info.fragment_links.size() < options.max_links) {
      if (auto fragment = FragmentOf(raw.href)) {
        if (seen_fragments.insert(*url + "#" + *fragment).second) {
          info.fragment_links.push_back({*url, std::move(*fragment)});
        }
      }
    }
    auto [it, fresh] = seen.emplace(*url, info.links.size());
    if (!fresh) {
      // The same target linked twice: followable if any of the links is, and a page to crawl if any link
      // (not a resource) names it.
      info.links[it->second].nofollow &= raw.nofollow;
      if (raw.resource == ResourceKind::kNone) info.links[it->second].resource = ResourceKind::kNone;
      continue;
    }
    if (info.links.size() >= options.max_links) {
      seen.erase(it);
      info.links_capped = true;
      break;
    }
    info.links.push_back({std::move(*url), raw.nofollow, raw.resource});
  }
  if (ex.links.size() >= 4 * options.max_links) info.links_capped = true;
  return info;
}

}  // namespace

PageInfo ParsePage(std::string_view body, std::string_view page_url, std::string_view content_type,
                   const ParseOptions& options) {
  return *ParseWithin(body, page_url, content_type, options, nullptr);
}

std::optional<PageInfo> ParseInline(std::string_view body, std::string_view page_url, std::string_view content_type,
                                    const ParseOptions& options) {
  if (!CheapToParse(body, options)) return std::nullopt;
  ParseBudget budget;
  budget.max_bytes = kInlineParseMemory;
  budget.max_cpu_s = kInlineParseCpuS;
  return ParseWithin(body, page_url, content_type, options, &budget);
}

}  // namespace gc
