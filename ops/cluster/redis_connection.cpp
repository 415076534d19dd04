#include "ops/cluster/redis_connection.hpp"

#include <hiredis/hiredis.h>
#include <poll.h>
#include <sys/time.h>

#include <cerrno>
#include <cstring>

namespace tp::ops {

namespace {

timeval to_timeval(std::chrono::milliseconds ms) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(ms.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((ms.count() % 1000) * 1000);
  return tv;
}

RedisReply copy_reply(const redisReply* r) {
  RedisReply out;
  switch (r->type) {
    case REDIS_REPLY_STRING:
      out.type = RedisReply::Type::String;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_STATUS:
      out.type = RedisReply::Type::Status;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_ERROR:
      out.type = RedisReply::Type::Error;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_INTEGER:
      out.type = RedisReply::Type::Integer;
      out.integer = r->integer;
      break;
    case REDIS_REPLY_ARRAY:
      out.type = RedisReply::Type::Array;
      out.elements.reserve(r->elements);
      for (std::size_t i = 0; i < r->elements; ++i) out.elements.push_back(copy_reply(r->element[i]));
      break;
    default:
      out.type = RedisReply::Type::Nil;
      break;
  }
  return out;
}

struct ReplyFree {
  void operator()(void* r) const noexcept { freeReplyObject(r); }
};

}  // namespace

std::string RedisReply::describe() const {
  switch (type) {
    case Type::Nil: return "(nil)";
    case Type::Status:
    case Type::String: return str;
    case Type::Error: return "(error) " + str;
    case Type::Integer: return std::to_string(integer);
    case Type::Array: {
      std::string s = "[";
      for (std::size_t i = 0; i < elements.size(); ++i) {
        if (i > 0) s += ", ";
        s += elements[i].describe();
      }
      s += "]";
      return s;
    }
  }
  return "?";
}

void RedisConnection::Free::operator()(redisContext* c) const noexcept { redisFree(c); }

RedisConnection::RedisConnection(const RedisUrl& url, const std::string& password, std::chrono::milliseconds timeout) {
  address_ = url.host;
  address_ += ':';
  address_ += std::to_string(url.port);
  ctx_.reset(redisConnectWithTimeout(url.host.c_str(), url.port, to_timeval(timeout)));
  if (!ctx_) throw RedisError("redis " + address_ + ": cannot allocate a connection");
  if (ctx_->err != 0) fail("connect");
  if (redisSetTimeout(ctx_.get(), to_timeval(timeout)) != REDIS_OK) fail("set timeout");
  redisEnableKeepAlive(ctx_.get());
  if (!password.empty()) {
    const RedisReply r = command({"AUTH", password});
    if (r.is_error()) throw RedisError("redis " + address_ + ": AUTH refused: " + r.str);
  }
  if (url.db != 0) {
    const RedisReply r = command({"SELECT", std::to_string(url.db)});
    if (r.is_error()) throw RedisError("redis " + address_ + ": SELECT " + std::to_string(url.db) + ": " + r.str);
  }
}

RedisConnection::~RedisConnection() = default;

void RedisConnection::fail(std::string_view what) {
  broken_ = true;
  std::string msg = "redis " + address_ + ": " + std::string(what) + ": ";
  if (ctx_ && ctx_->err != 0) {
    msg += ctx_->errstr[0] != '\0' ? ctx_->errstr : "connection error";
    if (ctx_->err == REDIS_ERR_IO && (errno == EAGAIN || errno == EWOULDBLOCK)) msg += " (timed out)";
  } else {
    msg += "connection error";
  }
  throw RedisError(msg);
}

RedisReply RedisConnection::command(const std::vector<std::string>& args) {
  append(args);
  return get_reply();
}

void RedisConnection::append(const std::vector<std::string>& args) {
  if (broken_) throw RedisError("redis " + address_ + ": the connection failed earlier");
  std::vector<const char*> argv;
  std::vector<std::size_t> lens;
  argv.reserve(args.size());
  lens.reserve(args.size());
  for (const std::string& a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  if (redisAppendCommandArgv(ctx_.get(), static_cast<int>(argv.size()), argv.data(), lens.data()) != REDIS_OK)
    fail("send");
}

RedisReply RedisConnection::get_reply() {
  if (broken_) throw RedisError("redis " + address_ + ": the connection failed earlier");
  void* raw = nullptr;
  if (redisGetReply(ctx_.get(), &raw) != REDIS_OK || raw == nullptr) fail("reply");
  const std::unique_ptr<void, ReplyFree> owned(raw);
  return copy_reply(static_cast<const redisReply*>(raw));
}

std::optional<RedisReply> RedisConnection::poll_reply(std::chrono::milliseconds wait) {
  if (broken_) throw RedisError("redis " + address_ + ": the connection failed earlier");
  void* raw = nullptr;
  // A reply already read into hiredis's buffer first; then wait for the socket, read, parse.
  if (redisGetReplyFromReader(ctx_.get(), &raw) != REDIS_OK) fail("parse");
  if (raw == nullptr) {
    pollfd p{ctx_->fd, POLLIN, 0};
    const int n = ::poll(&p, 1, static_cast<int>(wait.count()));
    if (n < 0 && errno != EINTR) fail("poll");
    if (n <= 0) return std::nullopt;
    if (redisBufferRead(ctx_.get()) != REDIS_OK) fail("read");
    if (redisGetReplyFromReader(ctx_.get(), &raw) != REDIS_OK) fail("parse");
    if (raw == nullptr) return std::nullopt;  // part of a reply so far
  }
  const std::unique_ptr<void, ReplyFree> owned(raw);
  return copy_reply(static_cast<const redisReply*>(raw));
}

}  // namespace tp::ops
