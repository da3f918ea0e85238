// The SSRF guard and credential headers through real fetches on 127.0.0.1: listed origins, numeric
// spellings of a host, other ports and schemes, redirects, and a reused connection checked again.
// (Split from fetcher_test.cc.)
#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <unordered_set>
#include <vector>

#include "crawler/error_class.h"
#include "crawler/fetcher.h"
#include "greenlet/spawn.h"
#include "tests/fetch_test_util.h"
#include "tests/test_server.h"

using namespace gc;
using gc::testing::Clock;
using gc::testing::Conn;
using gc::testing::FetchOne;
using gc::testing::HttpRequest;
using gc::testing::Page;
using gc::testing::SecondsSince;
using gc::testing::TestServer;

namespace {

FetchOptions Guarded(PrivateAddresses policy, std::vector<std::string> listed = {}) {
  FetchOptions o;
  o.private_addresses = policy;
  o.listed_origins = std::make_shared<const std::unordered_set<std::string>>(listed.begin(), listed.end());
  return o;
}

void RedirectTo(TestServer& server, const std::string& path, const std::string& target) {
  server.Handle(path, [target](const HttpRequest&, Conn& c) { c.Respond(302, "", "", {{"Location", target}}); });
}

}  // namespace

TEST_CASE("listed origins: the listed loopback origin is fetched, a redirect to another loopback host is refused") {
  // Both hosts are loopback, so only the origin rule can tell them apart: the list names 127.0.0.1:port.
  TestServer server;             // 127.0.0.1
  TestServer other("127.0.0.2");  // all of 127/8 is loopback on Linux
  server.Handle("/page", Page);
  other.Handle("/page", Page);
  std::string port = std::to_string(server.port());
  RedirectTo(server, "/to-127.0.0.2", other.Url("/page"));
  RedirectTo(server, "/to-localhost", "http://localhost:" + port + "/page");
  RedirectTo(server, "/to-v6", "http://[::1]:" + port + "/page");
  RedirectTo(server, "/to-self", "/page");
  FetchOptions o = Guarded(PrivateAddresses::kListedOrigins, {"http://127.0.0.1:" + port});

  Response listed = FetchOne(server.Url("/page"), o);
  CHECK(listed.ok());
  CHECK(listed.status == 200);
  Response self = FetchOne(server.Url("/to-self"), o);  // a hop on the listed host stays allowed
  CHECK(self.ok());
  CHECK(self.redirects == 1);
  for (const char* path : {"/to-127.0.0.2", "/to-localhost", "/to-v6"}) {
    CAPTURE(path);
    Response r = FetchOne(server.Url(path), o);
    CHECK(r.error == error_class::kPrivateAddress);
    CHECK(r.status == 302);
    MESSAGE(r.error_message);
  }
  CHECK(server.Received("/page") == 2);  // the listed fetch and the hop to itself, nothing else
  // Refused before connecting, not even a TCP handshake. Counted after one allowed fetch: the server
  // accepts in arrival order, so any earlier connection would have been counted by then.
  CHECK(FetchOne(other.Url("/page")).ok());
  CHECK(other.Connections() == 1);
}

TEST_CASE("listed origins: numeric spellings of 127.0.0.1 are refused when the list names the host otherwise") {
  // The list names "localhost" (which resolves to 127.0.0.1): the rule compares origins, never
  // addresses, so 127.0.0.1 in any spelling is another origin.
  TestServer server;
  server.Handle("/page", Page);
  std::string port = std::to_string(server.port());
  std::vector<std::string> spellings = {"127.0.0.1", "2130706433", "0x7f000001", "127.1", "0177.0.0.1"};
  for (size_t i = 0; i < spellings.size(); ++i) {
    RedirectTo(server, "/to" + std::to_string(i), "http://" + spellings[i] + ":" + port + "/page");
  }
  FetchOptions o = Guarded(PrivateAddresses::kListedOrigins, {"http://localhost:" + port});
  Response listed = FetchOne("http://localhost:" + port + "/page", o);
  CHECK(listed.ok());
  for (size_t i = 0; i < spellings.size(); ++i) {
    CAPTURE(spellings[i]);
    Response r = FetchOne("http://localhost:" + port + "/to" + std::to_string(i), o);
    CHECK(r.error == error_class::kPrivateAddress);
    // Asked directly, without the list naming them, they are refused too.
    Response direct = FetchOne("http://" + spellings[i] + ":" + port + "/page", o);
    CHECK(direct.error == error_class::kPrivateAddress);
  }
  CHECK(server.Received("/page") == 1);
}

TEST_CASE("listed origins: another port of the listed host, or another scheme on its port, is refused") {
  // The issue 30 case: a listed 127.0.0.1:P let a redirect reach 127.0.0.1 on any port.
  TestServer server;            // the listed origin
  TestServer other_port;        // 127.0.0.1 too, another port
  server.Handle("/page", Page);
  other_port.Handle("/*", Page);
  std::string port = std::to_string(server.port());
  RedirectTo(server, "/to-other-port", other_port.Url("/internal"));
  RedirectTo(server, "/to-https", "https://127.0.0.1:" + port + "/page");
  FetchOptions o = Guarded(PrivateAddresses::kListedOrigins, {"http://127.0.0.1:" + port});
  CHECK(FetchOne(server.Url("/page"), o).ok());
  Response moved = FetchOne(server.Url("/to-other-port"), o);
  CHECK(moved.error == error_class::kPrivateAddress);
  CHECK(moved.status == 302);
  CHECK(moved.error_message.find("http://127.0.0.1:" + std::to_string(other_port.port())) != std::string::npos);
  Response https = FetchOne(server.Url("/to-https"), o);
  CHECK(https.error == error_class::kPrivateAddress);
  CHECK(server.Received("/page") == 1);
  CHECK(other_port.Connections() == 0);  // refused before connecting
  // Asked directly, an unlisted port of the listed host is refused as well.
  CHECK(FetchOne(other_port.Url("/internal"), o).error == error_class::kPrivateAddress);
  CHECK(other_port.Connections() == 0);
}

TEST_CASE("credential headers are not carried by a redirect to another port of the same host") {
  // libcurl 7.88 drops a custom Authorization on a port change, but sends X-Api-Key to any hop.
  TestServer server, other_port;
  std::atomic<int> keys_seen{0};
  other_port.Handle("/*", [&](const HttpRequest& req, Conn& c) {
    if (!req.Header("x-api-key").empty()) ++keys_seen;
    c.Respond(200, "<title>other</title>");
  });
  server.Handle("/page", Page);
  RedirectTo(server, "/to-other-port", other_port.Url("/landed"));
  RedirectTo(server, "/to-self", "/page");
  FetchOptions o;
  o.headers = {"X-Api-Key: s3cret"};
  o.credential_origin = "http://127.0.0.1:" + std::to_string(server.port());
  Response self = FetchOne(server.Url("/to-self"), o);  // a hop within the origin keeps them
  CHECK(self.ok());
  CHECK(self.redirects == 1);
  Response r = FetchOne(server.Url("/to-other-port"), o);
  CHECK(r.error == error_class::kCredentialRedirect);
  CHECK(r.status == 302);
  CHECK(r.error_message.find(o.credential_origin) != std::string::npos);
  MESSAGE(r.error_message);
  CHECK(other_port.Received() == 0);
  CHECK(keys_seen == 0);
}

TEST_CASE("deny refuses even a listed loopback host; allow allows every loopback host") {
  TestServer server;
  TestServer other("127.0.0.2");
  server.Handle("/page", Page);
  other.Handle("/page", Page);
  std::string port = std::to_string(server.port());
  RedirectTo(server, "/to-127.0.0.2", other.Url("/page"));
  RedirectTo(server, "/to-numeric", "http://2130706433:" + port + "/page");
  RedirectTo(server, "/to-localhost", "http://localhost:" + port + "/page");

  FetchOptions deny = Guarded(PrivateAddresses::kDeny, {"http://127.0.0.1:" + port});
  Response refused = FetchOne(server.Url("/page"), deny);
  CHECK(refused.error == error_class::kPrivateAddress);
  CHECK(refused.status == 0);

  FetchOptions allow = Guarded(PrivateAddresses::kAllow);
  for (const char* path : {"/page", "/to-127.0.0.2", "/to-numeric", "/to-localhost"}) {
    CAPTURE(path);
    Response r = FetchOne(server.Url(path), allow);
    CHECK(r.ok());
    CHECK(r.status == 200);
    if (std::string(path) == "/page") CHECK(server.Connections() == 1);  // the refused one never connected
  }
  CHECK(other.Received() == 1);
}

TEST_CASE("a reused connection is checked too: the guard runs before every request, not only on connect") {
  // A first transfer without the guard leaves a keep-alive connection to 127.0.0.1 in the pool; a second,
  // guarded transfer to the same host would reuse it without opening a socket.
  TestServer server;
  server.Handle("/page", Page);
  Hub hub;
  std::vector<Response> out;
  {
    Fetcher fetcher(hub);
    auto g = Spawn([](Fetcher* f, std::string url, std::vector<Response>* out) -> Task<void> {
      out->push_back(co_await f->Get(url, FetchOptions()));
      FetchOptions deny;
      deny.private_addresses = PrivateAddresses::kDeny;
      out->push_back(co_await f->Get(url, deny));
      out->push_back(co_await f->Get(url, FetchOptions()));
    }, &fetcher, server.Url("/page"), &out);
    hub.Run();
    REQUIRE(g.successful());
  }
  REQUIRE(hub.Close() == 0);
  REQUIRE(out.size() == 3);
  CHECK(out[0].ok());
  CHECK(out[1].error == error_class::kPrivateAddress);
  CHECK(out[2].ok());
  CHECK(server.Received() == 2);
}
