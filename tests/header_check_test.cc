// HeaderCheck and SchemeOf: the per-response header rules the fetcher applies line by line.
#include <doctest/doctest.h>

#include <string>

#include "crawler/header_check.h"

using gc::HeaderCheck;
using gc::SchemeOf;
using Verdict = HeaderCheck::Verdict;

TEST_CASE("the header byte budget is per response: a redirect hop's headers do not count for the next") {
  HeaderCheck check;
  std::string line = "X-Filler: " + std::string(1000, 'f') + "\r\n";
  std::string status = "HTTP/1.1 302 Found\r\n";
  CHECK(check.Add(status) == Verdict::kOk);
  size_t lines = 0;
  while (check.Add(line) == Verdict::kOk && lines < 1000) ++lines;
  CHECK(lines == (HeaderCheck::kMaxBytes - status.size()) / line.size());
  CHECK(check.Add("HTTP/1.1 200 OK\r\n") == Verdict::kOk);    // a new response starts a new budget
  CHECK(check.Add(line) == Verdict::kOk);
}

TEST_CASE("Content-Length values must agree, within a field line and across lines") {
  HeaderCheck check;
  CHECK(check.Add("HTTP/1.1 200 OK\r\n") == Verdict::kOk);
  CHECK(check.Add("Content-Length: 5\r\n") == Verdict::kOk);
  CHECK(check.Add("content-length:5, 5\r\n") == Verdict::kOk);
  CHECK(check.Add("CONTENT-LENGTH: 6\r\n") == Verdict::kConflictingLength);

  HeaderCheck list;
  CHECK(list.Add("HTTP/1.1 200 OK\r\n") == Verdict::kOk);
  CHECK(list.Add("Content-Length: 5 , 7\r\n") == Verdict::kConflictingLength);

  HeaderCheck hops;  // each response has its own length
  CHECK(hops.Add("HTTP/1.1 301 Moved\r\n") == Verdict::kOk);
  CHECK(hops.Add("Content-Length: 0\r\n") == Verdict::kOk);
  CHECK(hops.Add("HTTP/1.1 200 OK\r\n") == Verdict::kOk);
  CHECK(hops.Add("Content-Length: 1234\r\n") == Verdict::kOk);
}

TEST_CASE("the latest response's Location is kept, trimmed") {
  HeaderCheck check;
  check.Add("HTTP/1.1 302 Found\r\n");
  check.Add("location:   javascript:alert(1) \r\n");
  CHECK(check.location() == "javascript:alert(1)");
  check.Add("HTTP/2 200 \r\n");
  CHECK(check.location().empty());
}

TEST_CASE("SchemeOf reads an RFC 3986 scheme, lower-cased, and nothing from a relative reference") {
  CHECK(SchemeOf("JavaScript:void(0)") == "javascript");
  CHECK(SchemeOf("data:text/html,x") == "data");
  CHECK(SchemeOf("  HTTPS://example.org/") == "https");
  CHECK(SchemeOf("svn+ssh://host/") == "svn+ssh");
  CHECK(SchemeOf("/path:with:colons").empty());
  CHECK(SchemeOf("//host/path").empty());
  CHECK(SchemeOf("1abc:x").empty());
  CHECK(SchemeOf("?q=a:b").empty());
  CHECK(SchemeOf("").empty());
}
