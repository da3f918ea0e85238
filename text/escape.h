// Escaping crawled text for output: every destination's escaper in one place. The database keeps the text
// as crawled; it meets markup, a terminal, a spreadsheet or a log line only through here. Pure functions,
// safe on any thread.
//
// HTML for the report page: anything from the database (titles, URLs, error messages, the list's name)
// goes through HtmlText/HtmlAttr before it meets markup. The output is always valid UTF-8 and always text:
// it can never open or close an element, an attribute, a comment or an inline <svg>/<script>.
//
// Both show the bidirectional embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069) as the
// six characters "\u202E": a title's RIGHT-TO-LEFT OVERRIDE would otherwise reverse what follows it on
// the line or in the table ("Trojan Source", CVE-2021-42574). The marks U+200E/U+200F are left alone:
// right-to-left titles use them routinely, and they reorder only neutral characters next to them.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace gc {

// For element content (also inside inline SVG <text> and <title>). Invalid UTF-8, C0/C1 controls other
// than tab and newline, and noncharacters become U+FFFD; & < > " ' become character references; bidi
// controls become "\u202E" text (above). Cuts
// to about max_bytes of input (on a character boundary) and then appends an ellipsis.
std::string HtmlText(std::string_view s, size_t max_bytes = std::string_view::npos);

// For a double-quoted attribute value: the same as HtmlText, and newlines and tabs are referenced too
// (&#10; &#9;) so that a value survives exactly.
std::string HtmlAttr(std::string_view s, size_t max_bytes = std::string_view::npos);

// True for http:// and https:// URLs, the only ones the report turns into links (a malformed list line
// such as "javascript:..." is stored as given and must stay text).
bool IsWebUrl(std::string_view url);

// For one line on a terminal or in a log: C0 and C1 controls (escape sequences, newlines, tabs) and the
// bidi controls (above) become "\u001B"-style text; all else, invalid UTF-8 included, is left as is
// (a terminal shows that as U+FFFD). A backslash is not escaped: the result is for reading, not parsing.
std::string TerminalText(std::string_view s);

// `text` made safe to print in a one-line message: control characters (C0, DEL, C1), Unicode line
// separators and bidirectional overrides, and bytes that are not valid UTF-8 become \xNN escapes (each byte
// of the character); a backslash becomes "\\". Valid UTF-8 otherwise stays as it is. The result is at
// most `max_bytes` long plus "..." when cut; it never cuts an escape or a character in two.
std::string EscapeForMessage(std::string_view text, size_t max_bytes = 200);

// `s` as XML 1.0 character data or attribute text: & < > " ' escaped, tab/CR/LF as character references,
// other control characters, invalid UTF-8 and U+FFFE/U+FFFF (not XML characters) as U+FFFD; cut at
// about `max_bytes` on a character boundary ("…" marks the cut).
std::string XmlEscape(std::string_view s, size_t max_bytes = 4096);

// One CSV field (RFC 4180): quoted when it holds a comma, quote, CR or LF (or a leading/trailing space),
// quotes doubled. A cell a spreadsheet would run as a formula (crawled titles such as "=HYPERLINK(...)":
// starts with =, +, -, @, tab or CR and is not a number) gets a leading apostrophe, as OWASP's
// CSV-injection advice says.
std::string CsvField(const std::string& raw);

}  // namespace gc
