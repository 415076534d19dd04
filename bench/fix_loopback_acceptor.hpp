// A FIX 4.4 acceptor on 127.0.0.1 for the tick-to-trade benchmark: one thread, one connection. It
// answers the Logon, fills every NewOrderSingle at once with one Trade ExecutionReport (LastPx 61837.6,
// no Commission), answers a Logout, and ignores everything else. It does not check sequence numbers:
// the engine under test is the one measured, not this. No allocation after start (fixed buffers,
// snprintf), so the benchmark's allocation count covers the engine alone.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string_view>
#include <thread>

#include "exec/fix/fix_framer.hpp"
#include "exec/fix/fix_message.hpp"

namespace tp::bench {

class FixLoopbackAcceptor {
 public:
  FixLoopbackAcceptor() {
    listen_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (listen_ < 0 || ::bind(listen_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(listen_, 1) != 0)
      throw std::runtime_error("fix loopback acceptor: cannot listen on 127.0.0.1");
    socklen_t len = sizeof a;
    ::getsockname(listen_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { run(); });
  }
  ~FixLoopbackAcceptor() {
    stop_.store(true, std::memory_order_relaxed);
    thread_.join();
    ::close(listen_);
  }
  int port() const noexcept { return port_; }

 private:
  void run() noexcept {
    pollfd p{listen_, POLLIN, 0};
    while (!stop_.load(std::memory_order_relaxed)) {
      if (::poll(&p, 1, 50) <= 0) continue;
      const int c = ::accept4(listen_, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) continue;
      const int one = 1;
      ::setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      serve(c);
      ::close(c);
    }
  }

  void serve(int fd) noexcept {
    fix::FixFramer framer;
    fix::FixMessage m;
    char buf[16384];
    pollfd p{fd, POLLIN, 0};
    bool open = true;
    while (open && !stop_.load(std::memory_order_relaxed)) {
      if (::poll(&p, 1, 50) <= 0) continue;
      const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) return;
      framer.feed(buf, static_cast<std::size_t>(n), [&](std::string_view bytes) noexcept {
        if (!m.parse(bytes)) return;
        const std::string_view type = m.msg_type();
        if (type == "A") send(fd, "A", "98=0\x01" "108=30\x01");
        else if (type == "5") {
          send(fd, "5", "");
          open = false;
        } else if (type == "D") {
          const std::string_view id = m.get(fix::tag::ClOrdID).value_or("?");
          const std::string_view qty = m.get(fix::tag::OrderQty).value_or("0");
          const std::string_view side = m.get(fix::tag::Side).value_or("1");
          const unsigned long long order = ++orders_;
          char body[512];
          const int len = std::snprintf(
              body, sizeof body,
              "37=O%llu\x01" "11=%.*s\x01" "17=E%llu\x01" "150=F\x01" "39=2\x01" "55=BTCUSDT\x01" "54=%.*s\x01"
              "38=%.*s\x01" "32=%.*s\x01" "31=61837.6\x01" "14=%.*s\x01" "151=0\x01" "6=61837.6\x01",
              order, static_cast<int>(id.size()), id.data(), order, static_cast<int>(side.size()), side.data(),
              static_cast<int>(qty.size()), qty.data(), static_cast<int>(qty.size()), qty.data(),
              static_cast<int>(qty.size()), qty.data());
          if (len > 0) send(fd, "8", std::string_view(body, static_cast<std::size_t>(len)));
        }
      });
    }
  }

  void send(int fd, const char* type, std::string_view body) noexcept {
    char head[160];
    const int hn = std::snprintf(head, sizeof head,
                                 "35=%s\x01" "49=EXECUTOR\x01" "56=CLIENT1\x01" "34=%llu\x01"
                                 "52=20240808-12:00:00.000\x01",
                                 type, static_cast<unsigned long long>(seq_++));
    char msg[1024];
    const int n = std::snprintf(msg, sizeof msg, "8=FIX.4.4\x01" "9=%zu\x01" "%.*s%.*s",
                                static_cast<std::size_t>(hn) + body.size(), hn, head, static_cast<int>(body.size()),
                                body.data());
    if (n <= 0 || static_cast<std::size_t>(n) + 8 > sizeof msg) return;
    unsigned sum = 0;
    for (int i = 0; i < n; ++i) sum += static_cast<unsigned char>(msg[i]);
    const int t = std::snprintf(msg + n, sizeof msg - static_cast<std::size_t>(n), "10=%03u\x01", sum & 0xff);
    const std::size_t total = static_cast<std::size_t>(n + t);
    std::size_t done = 0;
    while (done < total) {
      const ssize_t w = ::send(fd, msg + done, total - done, MSG_NOSIGNAL);
      if (w <= 0) return;
      done += static_cast<std::size_t>(w);
    }
  }

  int listen_ = -1;
  int port_ = 0;
  uint64_t seq_ = 1;
  uint64_t orders_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace tp::bench
