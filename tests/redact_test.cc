// RedactPassword and ScrubPasswords (storage/redact.h): no password from a database URI or conninfo
// string reaches output, however it is spelt.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "storage/redact.h"

using gc::storage::RedactPassword;
using gc::storage::ScrubPasswords;

TEST_CASE("a URI's userinfo password becomes ***, the user, host and database stay") {
  CHECK(RedactPassword("postgresql://crawler:s3cret@db.example:5432/greencrawl") ==
        "postgresql://crawler:***@db.example:5432/greencrawl");
  CHECK(RedactPassword("postgres://crawler:s3cret@db.example/greencrawl?sslmode=require") ==
        "postgres://crawler:***@db.example/greencrawl?sslmode=require");
  CHECK(RedactPassword("postgresql://crawler:cr%23aw%40l@h1:5432,h2:5433/db") ==
        "postgresql://crawler:***@h1:5432,h2:5433/db");
  CHECK(RedactPassword("postgresql://crawler:@h/db") == "postgresql://crawler:***@h/db");
}

TEST_CASE("an unencoded '@', '#', ':', '/' or '?' in the password is hidden with the rest of it") {
  // libpq itself would end the userinfo at the first '@' (and see no userinfo before a '/'); the user
  // meant everything up to the last '@', so all of that is hidden.
  CHECK(RedactPassword("postgresql://crawler:cr#aw@l:er/pw@localhost/greencrawl") ==
        "postgresql://crawler:***@localhost/greencrawl");
  CHECK(RedactPassword("postgresql://u:p?w@h/db") == "postgresql://u:***@h/db");
  for (std::string pw : {"cr#aw@l:er/pw", "a@b@c", "x/y:z", "?q=1&password", "#frag", "@", "p%zz"}) {
    CAPTURE(pw);
    std::string shown = RedactPassword("postgresql://crawler:" + pw + "@db.example/greencrawl");
    CHECK(shown == "postgresql://crawler:***@db.example/greencrawl");
  }
}

TEST_CASE("a password= parameter of the query becomes ***, its key percent-decoded as libpq does") {
  CHECK(RedactPassword("postgresql://localhost/db?user=u&password=s3cret&sslmode=require") ==
        "postgresql://localhost/db?user=u&password=***&sslmode=require");
  CHECK(RedactPassword("postgresql://localhost/db?pass%77ord=s3cret") == "postgresql://localhost/db?pass%77ord=***");
  CHECK(RedactPassword("postgresql://u:a@h/db?password=b") == "postgresql://u:***@h/db?password=***");
  CHECK(RedactPassword("postgresql:///db?host=/tmp/x&password=a@b") == "postgresql:///db?host=/tmp/x&password=***");
}

TEST_CASE("a key=value conninfo string's password becomes ***, quoted or not") {
  CHECK(RedactPassword("host=db user=u password=s3cret dbname=x") == "host=db user=u password=*** dbname=x");
  CHECK(RedactPassword("password = 'a b\\' c' host=x") == "password = *** host=x");
  CHECK(RedactPassword("password=s3cret") == "password=***");
  CHECK(RedactPassword("host=x passfile=/home/u/.pgpass") == "host=x passfile=/home/u/.pgpass");
}

TEST_CASE("targets without a password come back unchanged") {
  for (std::string t : {"results.db", "/tmp/my:file@x.db", "postgres://u@h/d", "postgresql://h:5432/d",
                        "postgresql:///postgres?host=/tmp/x&user=g", "postgresql://u@[::1]:5432/db", ""}) {
    CAPTURE(t);
    CHECK(RedactPassword(t) == t);
  }
}

TEST_CASE("a libpq message quoting the password loses it, as written and percent-decoded") {
  std::string uri = "postgresql://crawler:50%zzoff@h/db";
  CHECK(ScrubPasswords("invalid percent-encoded token: \"50%zzoff\"", uri) == "invalid percent-encoded token: \"***\"");
  CHECK(ScrubPasswords("x s3cr@t y", "postgresql://u:s3cr%40t@h/db") == "x *** y");
  CHECK(ScrubPasswords("connection refused", "postgresql://u:***@h/db") == "connection refused");
  CHECK(ScrubPasswords("a *** b", "postgresql://u:***@h/db") == "a *** b");  // terminates
}

TEST_CASE("a password libpq would misread (an unencoded '@' or '/') is recognised") {
  CHECK(gc::storage::PasswordNeedsEncoding("postgresql://crawler:cr#aw@l:er/pw@localhost/db"));
  CHECK(gc::storage::PasswordNeedsEncoding("postgresql://u:a/b@h/db"));
  CHECK_FALSE(gc::storage::PasswordNeedsEncoding("postgresql://u:cr%23aw%40l@h/db"));
  CHECK_FALSE(gc::storage::PasswordNeedsEncoding("postgresql://u@h/db"));
  CHECK_FALSE(gc::storage::PasswordNeedsEncoding("postgresql:///db?host=/tmp/x"));
}
