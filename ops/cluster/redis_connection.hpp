// RedisConnection: one synchronous connection to the cluster's Redis (hiredis), owned by one thread
// beside the hot path (the cluster link, `tickpipe cluster`). Every call is bounded by the timeout
// given at connect; a failure of the connection itself (refused, reset, timed out, garbage) throws
// RedisError and leaves the object broken() - the caller drops it and connects again. A reply that
// is a Redis error ("-ERR ...") is not a failure of the connection: it comes back as a RedisReply
// of type Error.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "core/types/ws_url.hpp"

struct redisContext;

namespace tp::ops {

class RedisError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A reply, copied out of hiredis's tree.
struct RedisReply {
  enum class Type : uint8_t { Nil, Status, Error, Integer, String, Array };
  Type type = Type::Nil;
  std::string str;        // Status, Error, String
  long long integer = 0;  // Integer
  std::vector<RedisReply> elements;  // Array

  bool is_error() const noexcept { return type == Type::Error; }
  bool is_nil() const noexcept { return type == Type::Nil; }
  // "OK", "123", "abc", "(nil)", "(error) ERR ...", "[a, b]": for messages and logs.
  std::string describe() const;
};

class RedisConnection {
 public:
  // Connects to url (host:port), then AUTH (when password is not empty) and SELECT url.db. Throws
  // RedisError naming the address and what went wrong.
  RedisConnection(const RedisUrl& url, const std::string& password, std::chrono::milliseconds timeout);
  ~RedisConnection();
  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  // One command and its reply. Throws RedisError when the connection fails (then broken()).
  RedisReply command(const std::vector<std::string>& args);
  // Pipelining: queue commands, then read their replies in order (get_reply, once per command).
  void append(const std::vector<std::string>& args);
  RedisReply get_reply();
  // A reply that arrives within `wait` (a subscriber's next message), or nullopt. Throws
  // RedisError when the connection fails.
  std::optional<RedisReply> poll_reply(std::chrono::milliseconds wait);

  bool broken() const noexcept { return broken_; }
  const std::string& address() const noexcept { return address_; }

 private:
  [[noreturn]] void fail(std::string_view what);

  struct Free {
    void operator()(redisContext* c) const noexcept;
  };
  std::unique_ptr<redisContext, Free> ctx_;
  std::string address_;  // "host:port" for messages
  bool broken_ = false;
};

}  // namespace tp::ops
