// The fetcher against a real TLS + HTTP/2 server: nginx on 127.0.0.1 with a private CA and certificates
// made by openssl at test time, in a temporary directory. Certificates are verified by default; an expired
// or wrongly named certificate is 'tls'; FetchOptions::ca_file trusts the private CA; verify_tls = false
// accepts anything; 100 requests to one HTTP/2 host share one connection (nginx's own access log says so);
// credential headers stay off a redirect from https to http on the same host.
// Exits 77 (ctest: skipped) when nginx or openssl is not installed (scripts/bootstrap installs both).
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <clocale>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "crawler/error_class.h"
#include "crawler/fetcher.h"
#include "greenlet/spawn.h"
#include "tests/e2e.h"
#include "tests/fetch_test_util.h"
#include "tests/test_server.h"
#include "tests/process.h"

using namespace gc;
namespace fs = std::filesystem;

namespace {

// An executable on PATH, or in the sbin directories a non-root PATH lacks; empty if none.
std::string FindProgram(const std::string& name) {
  std::string path = std::getenv("PATH") ? std::getenv("PATH") : "";
  path += ":/usr/sbin:/sbin:/usr/local/sbin";
  std::stringstream dirs(path);
  for (std::string dir; std::getline(dirs, dir, ':');) {
    if (dir.empty()) continue;
    std::string candidate = dir + "/" + name;
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return {};
}

bool CanConnect(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(uint16_t(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  close(fd);
  return ok;
}

void WriteFile(const fs::path& path, const std::string& text) { std::ofstream(path) << text; }

// A private CA, three server certificates, and nginx serving each on its own port.
class TlsSite {
 public:
  TlsSite(std::string openssl, std::string nginx) : openssl_(std::move(openssl)), nginx_(std::move(nginx)) {
    char tmpl[] = "/tmp/gc-tls-XXXXXX";
    if (!mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
    dir_ = tmpl;
    MakeCertificates();
    for (int attempt = 0; attempt < 3 && !started_; ++attempt) StartNginx();  // a port may be taken meanwhile
    if (!started_) throw std::runtime_error("nginx did not start: " + testing::ReadFile(dir_ / "error.log"));
  }
  ~TlsSite() {
    if (nginx_pid_ > 0) {
      kill(nginx_pid_, SIGTERM);
      testing::Wait(nginx_child_);
    }
    fs::remove_all(dir_);
  }

  std::string Url(int port, const std::string& path) const {
    return "https://127.0.0.1:" + std::to_string(port) + path;
  }
  std::string ca_file() const { return (dir_ / "ca.pem").string(); }
  int good_port = 0, expired_port = 0, wrong_name_port = 0;

  // nginx's access log: one line per request, "$connection $server_protocol $request_uri".
  std::vector<std::string> AccessLog() const {
    std::vector<std::string> lines;
    std::ifstream in(dir_ / "access.log");
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
  }

 private:
  void OpenSsl(std::vector<std::string> args) {
    args.insert(args.begin(), openssl_);
    testing::Finished f = testing::Run(args, "openssl");
    if (f.exit_code != 0) throw std::runtime_error("openssl failed: " + f.err);
  }

  void MakeCertificates() {
    auto p = [this](const char* name) { return (dir_ / name).string(); };
    // EC keys: quick to make on a busy machine.
    const std::vector<std::string> ec = {"-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"};
    std::vector<std::string> ca = {"req", "-x509", "-keyout", p("ca.key"), "-out", p("ca.pem"), "-days", "2",
                                   "-subj", "/CN=greencrawl test CA", "-addext", "basicConstraints=critical,CA:TRUE",
                                   "-addext", "keyUsage=critical,keyCertSign,cRLSign"};
    ca.insert(ca.begin() + 2, ec.begin(), ec.end());
    OpenSsl(ca);
    std::vector<std::string> csr = {"req", "-new", "-keyout", p("server.key"), "-out", p("server.csr"), "-subj",
                                    "/CN=127.0.0.1"};
    csr.insert(csr.begin() + 2, ec.begin(), ec.end());
    OpenSsl(csr);
    WriteFile(dir_ / "good.ext", "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
    WriteFile(dir_ / "wrong.ext", "subjectAltName=DNS:wrong.example\n");
    for (const char* kind : {"good", "wrong"}) {
      OpenSsl({"x509", "-req", "-in", p("server.csr"), "-CA", p("ca.pem"), "-CAkey", p("ca.key"), "-CAcreateserial",
               "-out", p(kind) + ".pem", "-days", "2", "-extfile", p(kind) + ".ext"});
    }
    // `openssl x509` cannot backdate (3.0 refuses -days -1); `openssl ca` takes explicit dates.
    fs::create_directory(dir_ / "db");
    WriteFile(dir_ / "db" / "index.txt", "");
    WriteFile(dir_ / "db" / "serial", "01\n");
    WriteFile(dir_ / "ca.cnf", "[ca]\ndefault_ca = test\n[test]\ndatabase = " + p("db/index.txt") +
                                   "\nnew_certs_dir = " + p("db") + "\nserial = " + p("db/serial") +
                                   "\ndefault_md = sha256\npolicy = any\n[any]\ncommonName = supplied\n");
    OpenSsl({"ca", "-batch", "-config", p("ca.cnf"), "-cert", p("ca.pem"), "-keyfile", p("ca.key"), "-in",
             p("server.csr"), "-out", p("expired.pem"), "-startdate", "20200101000000Z", "-enddate",
             "20200102000000Z", "-extfile", p("good.ext"), "-notext"});
  }

  void StartNginx() {
    good_port = gc::testing::FreeLoopbackPort();
    expired_port = gc::testing::FreeLoopbackPort();
    wrong_name_port = gc::testing::FreeLoopbackPort();
    std::string d = dir_.string();
    auto server = [&](int port, const std::string& cert, bool h2) {
      return "  server {\n    listen 127.0.0.1:" + std::to_string(port) + " ssl" + (h2 ? " http2" : "") +
             ";\n    ssl_certificate " + d + "/" + cert + ";\n    ssl_certificate_key " + d +
             "/server.key;\n    location / { return 200 \"ok\\n\"; }\n"
             // An https page that redirects to plain http on the same host (issue 30's downgrade).
             "    location /downgrade { return 302 http://127.0.0.1:$arg_to/landed; }\n  }\n";
    };
    std::string conf = "daemon off;\nworker_processes 1;\npid " + d + "/nginx.pid;\nerror_log " + d +
                       "/error.log warn;\nevents { worker_connections 512; }\nhttp {\n"
                       "  log_format conn '$connection $server_protocol $request_uri';\n"
                       "  access_log " + d + "/access.log conn;\n"
                       "  http2_max_concurrent_streams 128;\n"
                       "  client_body_temp_path " + d + "/body;\n  proxy_temp_path " + d + "/proxy;\n"
                       "  fastcgi_temp_path " + d + "/fastcgi;\n  uwsgi_temp_path " + d + "/uwsgi;\n"
                       "  scgi_temp_path " + d + "/scgi;\n" +
                       server(good_port, "good.pem", true) + server(expired_port, "expired.pem", false) +
                       server(wrong_name_port, "wrong.pem", false) + "}\n";
    WriteFile(dir_ / "nginx.conf", conf);
    nginx_child_ = testing::Start({nginx_, "-p", d, "-c", d + "/nginx.conf", "-e", d + "/error.log"}, "nginx");
    nginx_pid_ = nginx_child_.pid;
    for (int i = 0; i < 200; ++i) {  // bounded: 200 x 50 ms
      if (CanConnect(good_port) && CanConnect(expired_port) && CanConnect(wrong_name_port)) {
        started_ = true;
        return;
      }
      if (waitpid(nginx_pid_, nullptr, WNOHANG) == nginx_pid_) break;  // exited (a port was taken)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    if (nginx_pid_ > 0) {
      kill(nginx_pid_, SIGTERM);
      waitpid(nginx_pid_, nullptr, 0);
    }
    nginx_pid_ = -1;
  }

  std::string openssl_, nginx_;
  fs::path dir_;
  testing::Child nginx_child_;
  pid_t nginx_pid_ = -1;
  bool started_ = false;
};

TlsSite* site = nullptr;

using gc::testing::FetchOne;  // tests/fetch_test_util.h

FetchOptions Trusting() {
  FetchOptions o;
  o.ca_file = site->ca_file();
  return o;
}

}  // namespace

TEST_CASE("certificates are verified by default: a private CA is not trusted") {
  Response r = FetchOne(site->Url(site->good_port, "/"), FetchOptions());
  CHECK(r.error == error_class::kTls);
  CHECK(r.status == 0);
  MESSAGE(r.error_message);
}

TEST_CASE("ca_file trusts the private CA") {
  Response r = FetchOne(site->Url(site->good_port, "/"), Trusting());
  CHECK(r.ok());
  CHECK(r.status == 200);
  CHECK(r.body == "ok\n");
  CHECK(r.timings.tls_ms > 0);
}

TEST_CASE("an expired certificate and one for another name are 'tls', even from the trusted CA") {
  Response expired = FetchOne(site->Url(site->expired_port, "/"), Trusting());
  CHECK(expired.error == error_class::kTls);
  MESSAGE(expired.error_message);
  Response wrong = FetchOne(site->Url(site->wrong_name_port, "/"), Trusting());
  CHECK(wrong.error == error_class::kTls);
  MESSAGE(wrong.error_message);
}

TEST_CASE("a ca_file that cannot be read is 'tls', not a silent fallback to the system CAs") {
  FetchOptions o;
  o.ca_file = "/nonexistent/ca.pem";
  Response r = FetchOne(site->Url(site->good_port, "/"), o);
  CHECK(r.error == error_class::kTls);
}

TEST_CASE("verify_tls = false accepts an untrusted, an expired and a wrongly named certificate") {
  FetchOptions insecure;
  insecure.verify_tls = false;
  for (int port : {site->good_port, site->expired_port, site->wrong_name_port}) {
    CAPTURE(port);
    Response r = FetchOne(site->Url(port, "/"), insecure);
    CHECK(r.ok());
    CHECK(r.status == 200);
  }
}

TEST_CASE("100 concurrent requests to one HTTP/2 host share one connection") {
  Hub hub;
  int ok = 0;
  {
    Fetcher fetcher(hub);
    for (int i = 0; i < 100; ++i) {
      Spawn([](Fetcher* f, std::string url, int* ok) -> Task<void> {
        Response r = co_await f->Get(url, Trusting());
        if (r.ok() && r.status == 200) ++*ok;
      }, &fetcher, site->Url(site->good_port, "/mux?i=" + std::to_string(i)), &ok);
    }
    hub.Run();
  }
  CHECK(hub.Close() == 0);
  CHECK(ok == 100);
  std::map<std::string, int> per_connection;
  int http2 = 0;
  for (const std::string& line : site->AccessLog()) {
    std::istringstream fields(line);
    std::string connection, protocol, uri;
    fields >> connection >> protocol >> uri;
    if (uri.rfind("/mux?", 0) != 0) continue;
    ++per_connection[connection];
    http2 += protocol == "HTTP/2.0";
  }
  CHECK(http2 == 100);
  CHECK(per_connection.size() == 1);  // one TCP+TLS connection carried all 100 streams
}

TEST_CASE("credential headers are not carried from https to http on the same host (a downgrade)") {
  testing::TestServer plain;  // 127.0.0.1, plain http: X-Api-Key would cross the network in clear text
  int keys_seen = 0;
  std::mutex mu;
  plain.Handle("/*", [&](const testing::HttpRequest& req, testing::Conn& c) {
    std::lock_guard lock(mu);
    if (!req.Header("x-api-key").empty()) ++keys_seen;
    c.Respond(200, "<title>plain</title>");
  });
  FetchOptions o = Trusting();
  o.headers = {"X-Api-Key: s3cret"};
  o.credential_origin = "https://127.0.0.1:" + std::to_string(site->good_port);
  Response r = FetchOne(site->Url(site->good_port, "/downgrade?to=" + std::to_string(plain.port())), o);
  CHECK(r.error == error_class::kCredentialRedirect);
  CHECK(r.status == 302);
  CHECK(r.error_message.find("http://127.0.0.1:" + std::to_string(plain.port())) != std::string::npos);
  MESSAGE(r.error_message);
  CHECK(plain.Received() == 0);
  // Without credentials the same redirect is followed: the refusal is about the headers, not the hop.
  Response open = FetchOne(site->Url(site->good_port, "/downgrade?to=" + std::to_string(plain.port())), Trusting());
  CHECK(open.ok());
  CHECK(open.status == 200);
  CHECK(plain.Received() == 1);
  std::lock_guard lock(mu);
  CHECK(keys_seen == 0);
}

int main(int argc, char** argv) {
  std::setlocale(LC_CTYPE, "C.UTF-8");
  std::string openssl = FindProgram("openssl"), nginx = FindProgram("nginx");
  if (openssl.empty() || nginx.empty()) {
    std::cout << "tls_test: SKIPPED: " << (nginx.empty() ? "nginx" : "openssl")
              << " is not installed (scripts/bootstrap installs the Debian packages nginx and openssl)\n";
    return 77;
  }
  int rc;
  {
    TlsSite tls(openssl, nginx);
    site = &tls;
    doctest::Context context(argc, argv);
    rc = context.run();
    site = nullptr;
  }
  return rc;
}
