// The shared text helpers (text/): UTF-8 decoding and the escapers the other folders lean on.
#include <doctest/doctest.h>

#include <string>

#include "text/escape.h"
#include "text/json.h"
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

TEST_CASE("json: strings escape quotes, backslashes and control characters, and nothing else") {
  CHECK(gc::JsonString("say \"hi\"") == "\"say \\\"hi\\\"\"");
  CHECK(gc::JsonString("a\\b") == "\"a\\\\b\"");
  CHECK(gc::JsonString("l1\nl2\tt\rr") == "\"l1\\nl2\\tt\\rr\"");
  CHECK(gc::JsonString(std::string("\0\x01\x1f\x7f", 4)) == "\"\\u0000\\u0001\\u001f\\u007f\"");
  // U+2028/U+2029 are valid in JSON strings (RFC 8259) and pass through as their UTF-8 bytes, as do
  // bytes that are not UTF-8: storage cleans values before they get here, and the output keeps them.
  CHECK(gc::JsonString("a\xE2\x80\xA8" "b\xE2\x80\xA9") == "\"a\xE2\x80\xA8" "b\xE2\x80\xA9\"");
  CHECK(gc::JsonString("caf\xC3\xA9 \xFF") == "\"caf\xC3\xA9 \xFF\"");
}

TEST_CASE("json: the writer places commas and colons, in the order values are given") {
  gc::JsonWriter w;
  w.BeginObject().Key("id").Int(7).Key("name").String("x\"y").Key("none").Null();
  w.Key("list").BeginArray().Int(1).Int(-2).BeginObject().EndObject().BeginArray().EndArray().EndArray();
  w.Key("ok").Bool(true).Key("s").Fixed(1.5, 1).Key("t").Fixed(2.0, 3);
  w.Key("opt").OptString(std::nullopt).Key("n").OptInt(3).Key("raw").Raw("{\"a\":1}").EndObject();
  CHECK(w.str() ==
        "{\"id\":7,\"name\":\"x\\\"y\",\"none\":null,\"list\":[1,-2,{},[]],\"ok\":true,\"s\":1.5,\"t\":2.000,"
        "\"opt\":null,\"n\":3,\"raw\":{\"a\":1}}");
}

TEST_CASE("json: a key is escaped like a string value") {
  gc::JsonWriter w;
  w.BeginObject().Key("a\"\n").Int(1).EndObject();
  CHECK(w.str() == "{\"a\\\"\\n\":1}");
}
