// Text's front door: the helpers every layer shares for bytes that should be text. Pure functions, safe
// on any thread; depends on nothing else of ours (urls/, parser/, storage/ and app/ all sit above it).
//   utf8.h    UTF-8 decoded in one place (RFC 3629): sequence length, code point, validity, CleanText
//   escape.h  every output's escaper: HTML text and attributes, a terminal line, a one-line message,
//             XML (JUnit), a CSV field
//   json.h    JsonWriter: JSON documents value by value, commas and escaping right by construction
#pragma once

#include "text/escape.h"
#include "text/json.h"
#include "text/utf8.h"
