// HttpResponseReader: parses one HTTP/1.1 response (RFC 9112) from byte chunks of any size, as they
// come off a socket: the status line and headers (HttpHeadCollector), then the body framed by
// Content-Length, by Transfer-Encoding: chunked (chunk extensions ignored, trailers skipped), or by
// the end of the connection when neither is given (finish()).
//
// Built for the REST depth snapshot (feed/live/https_get): it refuses what that client never asks
// for rather than half-supporting it - a Content-Encoding other than identity (the request says
// Accept-Encoding: identity), a transfer coding other than chunked. Bounded: a body longer than
// `max_body_bytes`, a head longer than `max_head_bytes`, a chunk-size line or trailer section
// longer than a few KiB are errors, never unbounded growth. Every error is a short sentence.
//
// The body is kept in one buffer with kBodyPadding zeroed bytes readable after its end (simdjson
// parses it in place); reset() keeps the buffer, so a reader reused across requests stops
// allocating once it has seen the largest body.
//
// Not thread-safe; off the hot path (it allocates while the body grows).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "feed/http_upgrade.hpp"

namespace tp::feed {

class HttpResponseReader {
 public:
  static constexpr std::size_t kBodyPadding = 64;
  enum class State : uint8_t { Head, Body, Done, Error };

  explicit HttpResponseReader(std::size_t max_body_bytes, std::size_t max_head_bytes = 16 * 1024);

  // Ready for the next response; keeps the body buffer's capacity.
  void reset() noexcept;
  // Takes the next bytes of the connection. Bytes after a complete response, or after an error,
  // are ignored (the client sends Connection: close).
  void feed(const uint8_t* data, std::size_t len);
  // The connection ended: completes a body that runs until the close, or turns a response that is
  // still incomplete into an error.
  void finish();

  State state() const noexcept { return state_; }
  bool done() const noexcept { return state_ == State::Done; }
  bool failed() const noexcept { return state_ == State::Error; }
  // Why it failed ("" unless failed()): a sentence without the host (the caller adds it).
  const std::string& error() const noexcept { return error_; }

  // Known once the head is complete (0 before).
  int status() const noexcept { return status_; }
  // Retry-After in seconds when the response carries one as a number (429, 418, 503); -1 otherwise.
  int64_t retry_after_s() const noexcept { return retry_after_s_; }
  // The body so far (all of it once done()); kBodyPadding zeroed bytes follow it once done().
  const uint8_t* body_data() const noexcept { return body_.get(); }
  std::size_t body_size() const noexcept { return body_size_; }
  std::string_view body() const noexcept { return {reinterpret_cast<const char*>(body_.get()), body_size_}; }

 private:
  enum class Framing : uint8_t { Length, Chunked, UntilClose };
  enum class Chunk : uint8_t { Size, Extension, SizeLf, Data, DataCr, DataLf, Trailer };

  void fail(std::string why);
  void complete() noexcept;
  void on_head();
  bool append(const uint8_t* data, std::size_t len);
  bool reserve(std::size_t bytes);
  std::size_t feed_chunked(const uint8_t* data, std::size_t len);

  std::size_t max_body_;
  HttpHeadCollector head_;
  State state_ = State::Head;
  std::string error_;
  int status_ = 0;
  int64_t retry_after_s_ = -1;
  Framing framing_ = Framing::UntilClose;
  uint64_t length_left_ = 0;  // Length: body bytes still to come
  // Chunked: where in the chunk grammar the next byte falls.
  Chunk chunk_ = Chunk::Size;
  uint64_t chunk_left_ = 0;
  std::size_t size_digits_ = 0;
  std::size_t line_bytes_ = 0;     // of the current chunk-size or trailer line
  std::size_t trailer_bytes_ = 0;  // of the whole trailer section
  std::unique_ptr<uint8_t[]> body_;
  std::size_t body_size_ = 0;
  std::size_t body_capacity_ = 0;  // bytes of body_, padding included
};

}  // namespace tp::feed
