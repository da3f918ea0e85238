// URLs' front door: everything the crawler decides from a URL's text alone. Pure functions and small
// value types, safe on any thread.
//   url.h       canonical forms, browser-like resolution of links (Resolver: many links, one base)
//   url_list.h  reading a URL list: line numbers, comments, hygiene
//   robots.h    robots.txt (RFC 9309), bounded matching
//   scope.h     which discovered URLs a recursive crawl may follow
//   traps.h     crawler-trap heuristics on a URL's shape
#pragma once

#include "urls/robots.h"
#include "urls/scope.h"
#include "urls/traps.h"
#include "urls/url.h"
#include "urls/url_list.h"
