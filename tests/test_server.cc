#include "tests/test_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <stdexcept>

namespace gc::testing {
namespace {

const char* Reason(int status) {
  switch (status) {
    case 200: return "OK";
    case 204: return "No Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return "Status";
  }
}

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

std::string Trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t"), e = s.find_last_not_of(" \t\r");
  return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

// Reads one request head; false when the client closed, timed out or sent too much.
bool ReadRequest(int fd, std::string& buffer, HttpRequest& req) {
  size_t end;
  while ((end = buffer.find("\r\n\r\n")) == std::string::npos) {
    if (buffer.size() > 64 * 1024) return false;
    char chunk[4096];
    ssize_t n = recv(fd, chunk, sizeof chunk, 0);
    if (n <= 0) return false;
    buffer.append(chunk, size_t(n));
  }
  std::string head = buffer.substr(0, end);
  buffer.erase(0, end + 4);
  size_t line_end = head.find("\r\n");
  std::string request_line = head.substr(0, line_end);
  size_t sp1 = request_line.find(' '), sp2 = request_line.rfind(' ');
  if (sp1 == std::string::npos || sp2 <= sp1) return false;
  req.method = request_line.substr(0, sp1);
  req.target = request_line.substr(sp1 + 1, sp2 - sp1 - 1);
  size_t q = req.target.find('?');
  req.path = req.target.substr(0, q);
  req.query = q == std::string::npos ? "" : req.target.substr(q + 1);
  size_t pos = line_end == std::string::npos ? head.size() : line_end + 2;
  while (pos < head.size()) {
    size_t next = head.find("\r\n", pos);
    if (next == std::string::npos) next = head.size();
    std::string line = head.substr(pos, next - pos);
    size_t colon = line.find(':');
    if (colon != std::string::npos) req.headers[Lower(line.substr(0, colon))] = Trim(line.substr(colon + 1));
    pos = next + 2;
  }
  // Discard a request body, if any (tests send none of size).
  if (auto len = req.Header("content-length"); !len.empty()) {
    size_t want = std::stoul(len);
    while (buffer.size() < want) {
      char chunk[4096];
      ssize_t n = recv(fd, chunk, sizeof chunk, 0);
      if (n <= 0) return false;
      buffer.append(chunk, size_t(n));
    }
    buffer.erase(0, want);
  }
  return true;
}

}  // namespace

bool Conn::Send(std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n <= 0) {
      if (n < 0 && errno == EINTR) continue;
      return false;
    }
    bytes.remove_prefix(size_t(n));
  }
  return true;
}

bool Conn::Respond(int status, std::string_view body, std::string_view content_type,
                   const std::vector<std::pair<std::string, std::string>>& headers) {
  std::string head = "HTTP/1.1 " + std::to_string(status) + " " + Reason(status) + "\r\n";
  head += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  if (!content_type.empty()) head += "Content-Type: " + std::string(content_type) + "\r\n";
  for (auto& [k, v] : headers) head += k + ": " + v + "\r\n";
  if (!keep_alive_) head += "Connection: close\r\n";
  head += "\r\n";
  return Send(head) && Send(body);
}

void Conn::Reset() {
  linger l{1, 0};  // SO_LINGER with a zero timeout: close() sends RST
  setsockopt(fd_, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  keep_alive_ = false;
  shutdown(fd_, SHUT_RD);
}

bool Conn::Sleep(int ms) {
  std::unique_lock lock(server_->mu_);
  return !server_->cv_.wait_for(lock, std::chrono::milliseconds(ms), [this] { return server_->stopping_; });
}

bool Conn::WaitUntil(const std::atomic<bool>& open) {
  // Polled: `open` belongs to the test, which need not know this server's condition variable.
  while (!open) {
    if (!Sleep(2)) return false;
  }
  return true;
}

TestServer::TestServer(std::string host, int port) : host_(std::move(host)), started_(std::chrono::steady_clock::now()) {
  listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) throw std::runtime_error("socket failed");
  int one = 1;
  setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(uint16_t(port));
  if (inet_pton(AF_INET, host_.c_str(), &addr.sin_addr) != 1) throw std::runtime_error("bad host " + host_);
  if (bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || listen(listen_fd_, 4096) != 0) {
    close(listen_fd_);
    throw std::runtime_error("cannot listen on " + host_ + ":" + std::to_string(port) + ": " + strerror(errno));
  }
  socklen_t len = sizeof addr;
  getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  acceptor_ = std::thread([this] { AcceptLoop(); });
}

TestServer::~TestServer() { Stop(); }

void TestServer::Handle(const std::string& path, Handler handler) {
  std::lock_guard lock(mu_);
  if (!path.empty() && path.back() == '*') {
    prefixes_.emplace_back(path.substr(0, path.size() - 1), std::move(handler));
  } else {
    exact_[path] = std::move(handler);
  }
}

std::string TestServer::Url(const std::string& path) const {
  return "http://" + host_ + ":" + std::to_string(port_) + path;
}

std::vector<TestServer::LogEntry> TestServer::Log() const {
  std::lock_guard lock(mu_);
  return log_;
}

size_t TestServer::Requests() const {
  std::lock_guard lock(mu_);
  return log_.size();
}

int TestServer::PeakInFlight() const {
  auto log = Log();
  int peak = 0;
  for (const auto& e : log) {
    int overlapping = 0;
    for (const auto& other : log) overlapping += other.start_s <= e.start_s && other.end_s > e.start_s;
    peak = std::max(peak, overlapping);
  }
  return peak;
}

size_t TestServer::Received(const std::string& path) const {
  std::lock_guard lock(mu_);
  if (path.empty()) return received_.size();
  return size_t(std::count(received_.begin(), received_.end(), path));
}

size_t TestServer::Connections() const {
  std::lock_guard lock(mu_);
  return connections_;
}

double TestServer::Now() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
}

Handler TestServer::Find(const std::string& path) const {
  std::lock_guard lock(mu_);
  if (auto it = exact_.find(path); it != exact_.end()) return it->second;
  const std::pair<std::string, Handler>* best = nullptr;
  for (auto& p : prefixes_) {
    if (path.rfind(p.first, 0) == 0 && (!best || p.first.size() > best->first.size())) best = &p;
  }
  return best ? best->second : Handler();
}

void TestServer::AcceptLoop() {
  for (;;) {
    int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno == EMFILE || errno == ENFILE) {  // out of descriptors: back off rather than spin
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
        continue;
      }
      return;  // listening socket shut down
    }
    std::lock_guard lock(mu_);
    if (stopping_) {
      close(fd);
      return;
    }
    ++active_;
    ++connections_;
    open_fds_.push_back(fd);
    std::thread([this, fd] { Serve(fd); }).detach();
  }
}

void TestServer::Serve(int fd) {
  timeval tv{10, 0};  // an idle keep-alive connection ends after 10 s
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  std::string buffer;
  Conn conn(this, fd);
  for (;;) {
    HttpRequest req;
    if (!ReadRequest(fd, buffer, req)) break;
    if (Lower(req.Header("connection")) == "close") conn.CloseAfter();
    if (one_request_per_connection_) conn.CloseSilentlyAfter();
    {
      std::lock_guard lock(mu_);
      received_.push_back(req.path);
    }
    double start = Now();
    Handler h = Find(req.path);
    if (h) {
      h(req, conn);
    } else {
      conn.Respond(404, "<html><head><title>Not Found</title></head><body>no such page</body></html>");
    }
    {
      std::lock_guard lock(mu_);
      log_.push_back({req.path, req.Header("host"), start, Now()});
      if (stopping_) break;
    }
    if (!conn.keep_alive()) break;
  }
  std::lock_guard lock(mu_);
  open_fds_.erase(std::find(open_fds_.begin(), open_fds_.end(), fd));
  close(fd);
  --active_;
  cv_.notify_all();
}

void TestServer::Stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    stopping_ = true;
    for (int fd : open_fds_) shutdown(fd, SHUT_RDWR);
  }
  cv_.notify_all();
  shutdown(listen_fd_, SHUT_RDWR);
  if (acceptor_.joinable()) acceptor_.join();
  close(listen_fd_);
  std::unique_lock lock(mu_);
  cv_.wait(lock, [this] { return active_ == 0; });
}

std::string Gzip(std::string_view data) {
  z_stream zs{};
  if (deflateInit2(&zs, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) != Z_OK) {
    throw std::runtime_error("deflateInit2");
  }
  std::string out(deflateBound(&zs, data.size()), '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = uInt(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = uInt(out.size());
  deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

}  // namespace gc::testing
