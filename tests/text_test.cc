// The shared text helpers (text/): UTF-8 decoding and the escapers the other folders lean on.
#include <doctest/doctest.h>

#include <string>

#include "text/escape.h"
#include "text/utf8.h"

TEST_CASE("utf8: a sequence's length is 0 for overlongs, surrogates and bytes beyond U+10FFFF") {
  using gc::Utf8SequenceLength;
  CHECK(Utf8SequenceLength("a", 0) == 1);
  CHECK(Utf8SequenceLength("\xC3\xA9", 0) == 2);
  CHECK(Utf8SequenceLength("\xE2\x82\xAC", 0) == 3);
  CHECK(Utf8SequenceLength("\xF0\x9F\x98\x80", 0) == 4);
  CHECK(Utf8SequenceLength("\xC0\xAF", 0) == 0);          // overlong '/'
  CHECK(Utf8SequenceLength("\xE0\x80\xAF", 0) == 0);      // overlong
  CHECK(Utf8SequenceLength("\xED\xA0\x80", 0) == 0);      // surrogate U+D800
  CHECK(Utf8SequenceLength("\xF4\x90\x80\x80", 0) == 0);  // U+110000
  CHECK(Utf8SequenceLength("\xF5\x80\x80\x80", 0) == 0);  // no such lead byte
  CHECK(Utf8SequenceLength("\x80", 0) == 0);              // a lone continuation byte
}

TEST_CASE("utf8: a character cut by the end of the text is told apart from an invalid one") {
  bool truncated = false;
  CHECK(gc::Utf8SequenceLength("ab\xE2\x82", 2, &truncated) == 0);
  CHECK(truncated);
  truncated = false;
  CHECK(gc::Utf8SequenceLength("ab\xE2(", 2, &truncated) == 0);
  CHECK_FALSE(truncated);
  CHECK(gc::Utf8SequenceLength("\xE0\x80", 0, &truncated) == 0);  // overlong before the end: not a cut
  CHECK_FALSE(truncated);
}

TEST_CASE("utf8: code points and whole-string validity") {
  CHECK(gc::Utf8CodePoint("\xE2\x80\xAE", 0, 3) == 0x202E);
  CHECK(gc::Utf8CodePoint("x\xF0\x9F\x98\x80", 1, 4) == 0x1F600);
  CHECK(gc::IsValidUtf8(""));
  CHECK(gc::IsValidUtf8(std::string("caf\xC3\xA9\0", 6)));
  CHECK_FALSE(gc::IsValidUtf8("caf\xC3"));
  CHECK_FALSE(gc::IsValidUtf8("\xF5\x80\x80\x80"));
}

TEST_CASE("escape: a CSV field is quoted when needed and never starts a formula") {
  CHECK(gc::CsvField("plain") == "plain");
  CHECK(gc::CsvField("a,b") == "\"a,b\"");
  CHECK(gc::CsvField("say \"hi\"") == "\"say \"\"hi\"\"\"");
  CHECK(gc::CsvField("=HYPERLINK(\"x\")") == "\"'=HYPERLINK(\"\"x\"\")\"");
  CHECK(gc::CsvField("-12.5") == "-12.5");
  CHECK(gc::CsvField(" pad") == "\" pad\"");
}
