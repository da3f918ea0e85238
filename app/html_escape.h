// HTML escaping for the report page: anything from the database (titles, URLs, error messages, the
// list's name) goes through here before it meets markup. The output is always valid UTF-8 and always
// text: it can never open or close an element, an attribute, a comment or an inline <svg>/<script>.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace gc {

// For element content (also inside inline SVG <text> and <title>). Invalid UTF-8, C0/C1 controls other
// than tab and newline, and noncharacters become U+FFFD; & < > " ' become character references. Cuts
// to about max_bytes of input (on a character boundary) and then appends an ellipsis.
std::string HtmlText(std::string_view s, size_t max_bytes = std::string_view::npos);

// For a double-quoted attribute value: the same as HtmlText, and newlines and tabs are referenced too
// (&#10; &#9;) so that a value survives exactly.
std::string HtmlAttr(std::string_view s, size_t max_bytes = std::string_view::npos);

// True for http:// and https:// URLs, the only ones the report turns into links (a malformed list line
// such as "javascript:..." is stored as given and must stay text).
bool IsWebUrl(std::string_view url);

}  // namespace gc
