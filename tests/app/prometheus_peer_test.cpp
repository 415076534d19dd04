// Self-test of tests/peers/prometheus_server.hpp: a real Prometheus scrapes a fixed exposition from a
// tiny HTTP server in this process, and the test reads the values back through the query API.
#include "../peers/prometheus_server.hpp"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <stdexcept>
#include <string>
#include <thread>

#include "cli_runner.hpp"

namespace {

using namespace std::chrono_literals;

// Serves `GET /metrics` with a fixed body on 127.0.0.1 (a kernel-chosen port), one connection at a
// time, Connection: close; 404 for anything else. Every wait is bounded (50 ms accept polls, 1 s per
// request), so stop() returns promptly.
class StaticMetricsServer {
 public:
  explicit StaticMetricsServer(std::string body) : body_(std::move(body)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) throw std::runtime_error("socket failed");
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd_, 16) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      ::close(fd_);
      throw std::runtime_error("bind/listen on 127.0.0.1:0 failed");
    }
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  StaticMetricsServer(const StaticMetricsServer&) = delete;
  StaticMetricsServer& operator=(const StaticMetricsServer&) = delete;
  ~StaticMetricsServer() { stop(); }

  int port() const { return port_; }
  std::string host_port() const {
    std::string s("127.0.0.1:");
    s.append(std::to_string(port_));
    return s;
  }
  int scrapes() const { return scrapes_.load(); }

  void stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    if (fd_ >= 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }

 private:
  void serve() {
    while (!stop_) {
      pollfd pfd{fd_, POLLIN, 0};
      if (::poll(&pfd, 1, 50) <= 0) continue;
      const int conn = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (conn < 0) continue;
      answer(conn);
      ::close(conn);
    }
  }

  void answer(int conn) {
    std::string request;
    const auto deadline = std::chrono::steady_clock::now() + 1s;
    while (request.find("\r\n\r\n") == std::string::npos && request.size() < 65536) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
      if (left <= 0 || stop_) return;
      pollfd pfd{conn, POLLIN, 0};
      if (::poll(&pfd, 1, static_cast<int>(left)) <= 0) continue;
      char buf[4096];
      const ssize_t n = ::recv(conn, buf, sizeof buf, 0);
      if (n <= 0) return;
      request.append(buf, static_cast<std::size_t>(n));
    }
    const bool metrics = request.rfind("GET /metrics ", 0) == 0 || request.rfind("GET /metrics?", 0) == 0;
    std::string response;
    if (metrics) {
      ++scrapes_;
      response.append("HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n");
      response.append("Content-Length: ");
      response.append(std::to_string(body_.size()));
      response.append("\r\nConnection: close\r\n\r\n");
      response.append(body_);
    } else {
      response.append("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    }
    std::size_t sent = 0;
    while (sent < response.size()) {
      const ssize_t n = ::send(conn, response.data() + sent, response.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return;
      sent += static_cast<std::size_t>(n);
    }
  }

  std::string body_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> scrapes_{0};
  std::thread thread_;
};

TEST(PrometheusPeer, ScrapesAStaticTargetAndAnswersQueries) {
  const auto started = std::chrono::steady_clock::now();
  StaticMetricsServer target(
      "# HELP tickpipe_test_value A test value.\n"
      "# TYPE tickpipe_test_value gauge\n"
      "tickpipe_test_value 42\n");
  tp::testing::TempDir dir;
  {
    tp::testing::PrometheusServer prom(dir.path(), target.host_port());
    EXPECT_GT(prom.port(), 0);

    EXPECT_TRUE(prom.wait_for("tickpipe_test_value", [](double v) { return v == 42; }, 15s))
        << "last answer: " << prom.query("tickpipe_test_value") << "\nprometheus log:\n" << prom.log_text();
    EXPECT_EQ(prom.scalar("up{job=\"tickpipe\"}"), std::optional<double>(1.0));
    EXPECT_EQ(prom.scalar("tickpipe_test_value * 2"), std::optional<double>(84.0));
    EXPECT_EQ(prom.scalar("scalar(tickpipe_test_value)"), std::optional<double>(42.0));
    EXPECT_EQ(prom.scalar("no_such_metric"), std::nullopt);
    EXPECT_NE(prom.query("up").find("\"status\":\"success\""), std::string::npos);
    EXPECT_THROW(prom.query("sum(("), std::runtime_error);  // a bad query: HTTP 400
    EXPECT_GT(target.scrapes(), 0);

    prom.stop();
    EXPECT_EQ(::kill(prom.pid(), 0), -1);  // gone and reaped
  }
  target.stop();
  EXPECT_LT(std::chrono::steady_clock::now() - started, 30s);
}

TEST(PrometheusPeer, EncodesQueriesAndDurations) {
  namespace d = tp::testing::prom_peer_detail;
  EXPECT_EQ(d::url_encode("up{job=\"tickpipe\"} + 1"), "up%7Bjob%3D%22tickpipe%22%7D%20%2B%201");
  EXPECT_EQ(d::prom_duration(200ms), "200ms");
  EXPECT_EQ(d::prom_duration(1500ms), "1s500ms");
  EXPECT_EQ(d::prom_duration(90s), "1m30s");
  EXPECT_EQ(d::yaml_quote("a'b"), "'a''b'");
}

}  // namespace
