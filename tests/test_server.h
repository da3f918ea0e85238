// TestServer: a small HTTP/1.1 server on 127.0.0.1 for tests, the demo and the benchmarks, that can
// misbehave on purpose (stall, trickle, reset, send garbage, never end a body).
//
// One thread per connection with blocking sockets, so a handler is plain sequential code. Handlers run on
// those threads, never on a hub. Every wait is bounded and Stop() (or the destructor) ends them all.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace gc::testing {

struct HttpRequest {
  std::string method;
  std::string target;  // as sent: path?query
  std::string path;
  std::string query;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string Header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? std::string() : it->second;
  }
};

class TestServer;

// The connection a handler answers on.
class Conn {
 public:
  Conn(TestServer* server, int fd) : server_(server), fd_(fd) {}
  // Writes raw bytes; false once the client has gone.
  bool Send(std::string_view bytes);
  // A complete response with Content-Length.
  bool Respond(int status, std::string_view body, std::string_view content_type = "text/html; charset=utf-8",
               const std::vector<std::pair<std::string, std::string>>& headers = {});
  // Aborts the connection with a TCP RST.
  void Reset();
  // Closes after this response (no keep-alive), announced with "Connection: close".
  void CloseAfter() { keep_alive_ = false; }
  // Closes after this response WITHOUT announcing it: the response looks keep-alive, then the server
  // closes the connection anyway (as some servers and load balancers do).
  void CloseSilentlyAfter() { close_silently_ = true; }
  // Sleeps, but returns false at once when the server stops.
  bool Sleep(int ms);
  // Holds the response until the test sets `open` (a gate: the test decides when, instead of a sleep
  // guessing how long it needs); false when the server stops first.
  bool WaitUntil(const std::atomic<bool>& open);
  bool keep_alive() const { return keep_alive_ && !close_silently_; }

 private:
  TestServer* server_;
  int fd_;
  bool keep_alive_ = true;
  bool close_silently_ = false;
};

using Handler = std::function<void(const HttpRequest&, Conn&)>;

class TestServer {
 public:
  // Listens on host:port (port 0: any free port) and starts serving.
  explicit TestServer(std::string host = "127.0.0.1", int port = 0);
  ~TestServer();
  TestServer(const TestServer&) = delete;
  TestServer& operator=(const TestServer&) = delete;

  // Exact path, or a prefix when `path` ends in '*'. Unmatched paths get 404.
  void Handle(const std::string& path, Handler handler);
  // Mode: every connection answers one request and is then closed without "Connection: close", so the
  // client believes it may reuse it (Conn::CloseSilentlyAfter for every request). Set before requests.
  void SetOneRequestPerConnection(bool on) { one_request_per_connection_ = on; }
  // Connections accepted so far.
  size_t Connections() const;
  int port() const { return port_; }
  const std::string& host() const { return host_; }
  std::string Url(const std::string& path) const;

  struct LogEntry {
    std::string path;
    std::string host_header;
    double start_s;  // seconds since the server started
    double end_s;
  };
  // Log() and Requests() count a request once its handler has returned, which can be after the client
  // already has the response. Received() counts it when it has been read, before the handler runs: once a
  // client has its answer, Received() includes that request. All requests, or those for one path.
  std::vector<LogEntry> Log() const;
  size_t Requests() const;
  size_t Received(const std::string& path = "") const;
  // The most requests this server had in flight at once, from its log (requests whose handler returned).
  int PeakInFlight() const;
  void Stop();

 private:
  friend class Conn;
  void AcceptLoop();
  void Serve(int fd);
  Handler Find(const std::string& path) const;
  double Now() const;

  std::string host_;
  int port_ = 0;
  int listen_fd_ = -1;
  std::chrono::steady_clock::time_point started_;
  std::thread acceptor_;
  mutable std::mutex mu_;
  std::condition_variable cv_;  // signalled on stop and when a connection thread ends
  bool stopping_ = false;
  std::atomic<bool> one_request_per_connection_{false};
  size_t connections_ = 0;
  int active_ = 0;
  std::vector<int> open_fds_;
  std::map<std::string, Handler> exact_;
  std::vector<std::pair<std::string, Handler>> prefixes_;
  std::vector<LogEntry> log_;
  std::vector<std::string> received_;  // paths, in the order read
};

// Gzip-compresses `data` (for Content-Encoding tests, and .xml.gz sitemaps served as files).
std::string Gzip(std::string_view data);

// A handler that answers every request with 200 and `body` (robots.txt, sitemaps, .gz files as bytes).
inline Handler Static(std::string body, std::string content_type) {
  return [body = std::move(body), type = std::move(content_type)](const HttpRequest&, Conn& c) {
    c.Respond(200, body, type);
  };
}

}  // namespace gc::testing
