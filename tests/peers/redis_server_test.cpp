// Self-test of tests/peers/redis_server.hpp: a real redis-server started, queried, crashed and
// restarted; its RESP client also against a scripted fake server on 127.0.0.1 that dribbles a reply
// byte by byte (replies arriving in many reads) or never answers (the timeout).
#include "redis_server.hpp"

#include <gtest/gtest.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace std::chrono_literals;
using tp::testing::RedisReplyError;
using tp::testing::RedisServer;
using tp::testing::RedisTransportError;

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

TEST(RedisServer, SetGetRoundTripAndRendering) {
  RedisServer redis;
  EXPECT_GT(redis.port(), 0);
  EXPECT_GT(redis.pid(), 0);
  EXPECT_TRUE(redis.running());
  std::string url("redis://127.0.0.1:");
  url.append(std::to_string(redis.port()));
  EXPECT_EQ(redis.url(), url + "/0");
  EXPECT_EQ(redis.url(3), url + "/3");

  EXPECT_EQ(redis.command({"PING"}), "PONG");
  EXPECT_EQ(redis.command({"SET", "k", "v a\r\nlue"}), "OK");
  EXPECT_EQ(redis.command({"GET", "k"}), "v a\r\nlue");
  EXPECT_EQ(redis.command({"GET", "missing"}), "(nil)");
  EXPECT_EQ(redis.command({"INCRBY", "n", "5"}), "5");
  EXPECT_EQ(redis.command({"SET", "empty", ""}), "OK");
  EXPECT_EQ(redis.command({"GET", "empty"}), "");
  EXPECT_EQ(redis.command({"RPUSH", "l", "a", "b\"q"}), "2");
  EXPECT_EQ(redis.command({"LRANGE", "l", "0", "-1"}), "[\"a\",\"b\\\"q\"]");
  EXPECT_EQ(redis.command({"LRANGE", "nothing", "0", "-1"}), "[]");
  EXPECT_EQ(redis.command({"MGET", "k", "missing"}), "[\"v a\\r\\nlue\",null]");
  EXPECT_EQ(redis.command({"XADD", "s", "1-1", "f", "x"}), "1-1");
  EXPECT_EQ(redis.command({"XRANGE", "s", "-", "+"}), "[[\"1-1\",[\"f\",\"x\"]]]");

  // A value larger than one read (and than the socket buffers): arrives in many reads.
  const std::string big(3 * 1024 * 1024 + 7, 'z');
  EXPECT_EQ(redis.command({"SET", "big", big}), "OK");
  EXPECT_EQ(redis.command({"GET", "big"}), big);

  // The server is ours, and persistence is off.
  const std::string info = redis.command({"INFO", "server"});
  EXPECT_TRUE(contains(info, "process_id:" + std::to_string(redis.pid()) + "\r\n")) << info;
  EXPECT_EQ(redis.command({"CONFIG", "GET", "save"}), "[\"save\",\"\"]");
  EXPECT_EQ(redis.command({"CONFIG", "GET", "appendonly"}), "[\"appendonly\",\"no\"]");
  EXPECT_EQ(redis.command({"CONFIG", "GET", "bind"}), "[\"bind\",\"127.0.0.1\"]");
}

TEST(RedisServer, ErrorReplyThrows) {
  RedisServer redis;
  try {
    redis.command({"NOSUCHCOMMAND", "x"});
    ADD_FAILURE() << "no exception";
  } catch (const RedisReplyError& e) {
    EXPECT_EQ(std::string(e.what()).rfind("redis: ERR unknown command", 0), 0u) << e.what();
  }
  EXPECT_EQ(redis.command({"SET", "str", "1"}), "OK");
  EXPECT_THROW(redis.command({"LPUSH", "str", "x"}), std::runtime_error);  // WRONGTYPE
  try {
    redis.command({"LPUSH", "str", "y"});
    ADD_FAILURE() << "no exception";
  } catch (const RedisReplyError& e) {
    EXPECT_EQ(std::string(e.what()).rfind("redis: WRONGTYPE ", 0), 0u) << e.what();
  }
  EXPECT_THROW(redis.command({}), std::invalid_argument);
  // A fresh connection per command: EXEC never sees the MULTI.
  EXPECT_EQ(redis.command({"MULTI"}), "OK");
  EXPECT_THROW(redis.command({"EXEC"}), RedisReplyError);
  // The server survives its errors.
  EXPECT_EQ(redis.command({"PING"}), "PONG");
}

TEST(RedisServer, XrangeValuesInOrder) {
  RedisServer redis;
  EXPECT_EQ(redis.command({"XADD", "ticks", "0-1", "px", "100.5", "qty", "1"}), "0-1");
  EXPECT_EQ(redis.command({"XADD", "ticks", "0-2", "qty", "2", "px", "101,\"x\""}), "0-2");
  EXPECT_EQ(redis.xrange_values("ticks", "px"), (std::vector<std::string>{"100.5", "101,\"x\""}));
  EXPECT_EQ(redis.xrange_values("ticks", "qty"), (std::vector<std::string>{"1", "2"}));
  EXPECT_TRUE(redis.xrange_values("no-such-stream", "px").empty());
  EXPECT_THROW(redis.xrange_values("ticks", "absent"), std::runtime_error);
  EXPECT_EQ(redis.command({"SET", "plain", "1"}), "OK");
  EXPECT_THROW(redis.xrange_values("plain", "px"), RedisReplyError);  // WRONGTYPE
}

TEST(RedisServer, KillThenRestartOnTheSamePort) {
  RedisServer redis;
  const int port = redis.port();
  const pid_t first = redis.pid();
  EXPECT_EQ(redis.command({"SET", "k", "v"}), "OK");

  redis.kill();
  EXPECT_FALSE(redis.running());
  try {
    redis.command({"GET", "k"});
    ADD_FAILURE() << "no exception after kill()";
  } catch (const RedisTransportError& e) {
    EXPECT_TRUE(contains(e.what(), "Connection refused")) << e.what();
  }
  redis.kill();  // idempotent
  redis.stop();

  redis.restart();
  EXPECT_TRUE(redis.running());
  EXPECT_EQ(redis.port(), port);
  EXPECT_NE(redis.pid(), first);
  EXPECT_EQ(redis.command({"GET", "k"}), "(nil)");  // no persistence: the data went with the process
  EXPECT_EQ(redis.command({"DBSIZE"}), "0");

  // stop() then restart() works too, and stop() is idempotent.
  EXPECT_EQ(redis.command({"SET", "k", "v2"}), "OK");
  redis.stop();
  redis.stop();
  EXPECT_FALSE(redis.running());
  redis.restart();
  EXPECT_EQ(redis.port(), port);
  EXPECT_EQ(redis.command({"GET", "k"}), "(nil)");
  EXPECT_TRUE(contains(redis.log_text(), "Ready to accept connections"));
}

TEST(RedisServer, RestartWaitsWhileThePortIsTaken) {
  RedisServer redis;
  const int port = redis.port();
  redis.stop();
  // Someone else listens on the port for a while: restart() retries until it is free again.
  const int blocker = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(blocker, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  ASSERT_EQ(::bind(blocker, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0) << std::strerror(errno);
  ASSERT_EQ(::listen(blocker, 1), 0);
  std::thread release([blocker] {
    std::this_thread::sleep_for(400ms);
    ::close(blocker);
  });
  const auto start = std::chrono::steady_clock::now();
  EXPECT_NO_THROW(redis.restart());
  release.join();
  EXPECT_GE(std::chrono::steady_clock::now() - start, 350ms);
  EXPECT_EQ(redis.port(), port);
  EXPECT_EQ(redis.command({"PING"}), "PONG");
  EXPECT_TRUE(contains(redis.log_text(), "Address already in use"));
}

TEST(RedisServer, TwoServersGetDifferentPortsAndDirectories) {
  RedisServer a;
  RedisServer b;
  EXPECT_NE(a.port(), b.port());
  EXPECT_NE(a.work_dir(), b.work_dir());
  EXPECT_EQ(a.command({"SET", "who", "a"}), "OK");
  EXPECT_EQ(b.command({"GET", "who"}), "(nil)");
  const std::string dir = a.work_dir();
  {
    RedisServer c;
    EXPECT_TRUE(std::filesystem::exists(c.work_dir()));
  }
  EXPECT_TRUE(std::filesystem::exists(dir));
}

TEST(RedisServer, WorkDirectoryRemovedWithTheObject) {
  std::string dir;
  {
    RedisServer redis;
    dir = redis.work_dir();
    EXPECT_TRUE(std::filesystem::is_directory(dir));
  }
  EXPECT_FALSE(std::filesystem::exists(dir));
}

// A one-connection fake server on 127.0.0.1: reads the request, then writes `reply` in pieces of
// `piece` bytes with a pause between them (or nothing at all when `reply` is empty, until the
// client goes).
class FakeServer {
 public:
  FakeServer(std::string reply, std::size_t piece) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd_, 1) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
      throw std::runtime_error("fake server: cannot listen");
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this, reply = std::move(reply), piece] {
      const int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) return;
      char buf[4096];
      (void)::recv(c, buf, sizeof buf, 0);
      for (std::size_t at = 0; at < reply.size(); at += piece) {
        const std::size_t n = std::min(piece, reply.size() - at);
        if (::send(c, reply.data() + at, n, MSG_NOSIGNAL) != static_cast<ssize_t>(n)) break;
        std::this_thread::sleep_for(1ms);
      }
      (void)::recv(c, buf, sizeof buf, 0);  // until the client closes
      ::close(c);
    });
  }
  ~FakeServer() {
    thread_.join();
    ::close(fd_);
  }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
  std::thread thread_;
};

std::string fake_command(const std::string& reply, std::size_t piece, std::chrono::milliseconds timeout = 2s) {
  FakeServer server(reply, piece);
  return tp::testing::redis_peer_detail::render(tp::testing::redis_peer_detail::request(server.port(), {"X"}, timeout));
}

TEST(RedisClient, RepliesArrivingInManyReads) {
  EXPECT_EQ(fake_command("+OK\r\n", 1), "OK");
  EXPECT_EQ(fake_command(":-42\r\n", 1), "-42");
  EXPECT_EQ(fake_command("$5\r\nab\r\nc\r\n", 1), "ab\r\nc");
  EXPECT_EQ(fake_command("$-1\r\n", 2), "(nil)");
  EXPECT_EQ(fake_command("*-1\r\n", 2), "(nil)");
  EXPECT_EQ(fake_command("*3\r\n$1\r\na\r\n$1\r\nb\r\n*1\r\n$1\r\nc\r\n", 1), "[\"a\",\"b\",[\"c\"]]");
  EXPECT_EQ(fake_command("*5\r\n:1\r\n$-1\r\n+s\r\n-ERR in array\r\n*0\r\n", 3),
            "[1,null,\"s\",{\"error\":\"ERR in array\"},[]]");
  EXPECT_EQ(fake_command("*1\r\n$3\r\n\x01\t\\\r\n", 1), "[\"\\u0001\\t\\\\\"]");
  try {
    fake_command("-ERR x\r\n", 1);
    ADD_FAILURE() << "no exception";
  } catch (const RedisReplyError& e) {
    EXPECT_STREQ(e.what(), "redis: ERR x");
  }
}

TEST(RedisClient, BadRepliesAndTimeoutsThrow) {
  EXPECT_THROW(fake_command("%1\r\n+a\r\n+b\r\n", 4), RedisTransportError);  // RESP3 map
  EXPECT_THROW(fake_command("$3\r\nabcd\r\n", 4), RedisTransportError);      // length mismatch
  EXPECT_THROW(fake_command(":12x\r\n", 4), RedisTransportError);
  const auto start = std::chrono::steady_clock::now();
  try {
    fake_command("", 1, 300ms);  // never answers
    ADD_FAILURE() << "no exception";
  } catch (const RedisTransportError& e) {
    EXPECT_TRUE(contains(e.what(), "no complete reply within 300 ms")) << e.what();
  }
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_GE(took, 290ms);
  EXPECT_LT(took, 2s);
  try {
    fake_command("*2\r\n+a\r\n", 1, 300ms);  // half a reply, then silence
    ADD_FAILURE() << "no exception";
  } catch (const RedisTransportError& e) {
    EXPECT_TRUE(contains(e.what(), "no complete reply within 300 ms")) << e.what();
  }
}

}  // namespace
