// RFC 6455 frame decoding of one direction of a WebSocket connection, incremental: bytes arrive
// in chunks cut anywhere (inside a header, a mask key, a payload), many frames per chunk.
//
// Data messages (text and binary, FIN + continuation fragments reassembled, permessage-deflate
// inflated) are handed to a MessageFn; control frames (ping, pong, close) are counted, never
// delivered, and may sit between the fragments of a message. A protocol violation stops the
// direction for good: nothing after it can be framed reliably, and nothing garbled is delivered.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "feed/decode_stats.hpp"
#include "feed/message.hpp"
#include "feed/permessage_deflate.hpp"

namespace tp::feed {

// A non-owning callback for messages: one indirect call per message, no allocation.
struct MessageFn {
  void* ctx = nullptr;
  void (*fn)(void* ctx, const Message& m) noexcept = nullptr;
  void operator()(const Message& m) const noexcept { fn(ctx, m); }
};

struct FramerOptions {
  std::size_t max_message_bytes = 16u << 20;     // larger messages are dropped and counted
  std::size_t initial_message_bytes = 64u << 10;  // preallocated; grows by doubling up to the max
  // false: frames are parsed, validated and counted but payloads are skipped (the client side,
  // whose messages are never delivered).
  bool deliver = true;
};

// What permessage-deflate means for the frames this framer decodes (the sender's parameters).
struct DeflateParams {
  bool enabled = false;
  bool no_context_takeover = false;
  uint8_t window_bits = 15;
};

class WebSocketFramer {
 public:
  WebSocketFramer(const FramerOptions& options, DecodeStats* stats);

  // A new stream: forgets any partial frame or message.
  void reset(const DeflateParams& deflate = {}) noexcept;
  // Decodes `len` bytes; calls out() for every message they complete, with recv_ts_ns = ts_ns.
  void feed(const uint8_t* data, std::size_t len, int64_t ts_ns, MessageFn out) noexcept;

  bool failed() const noexcept { return state_ == State::Failed; }
  bool closed() const noexcept { return state_ == State::Closed; }
  std::size_t message_capacity() const noexcept { return capacity_; }

 private:
  enum class State : uint8_t { Header, Payload, Closed, Failed };

  bool start_frame() noexcept;  // false: protocol error
  void payload(const uint8_t* data, std::size_t len) noexcept;
  void end_frame(int64_t ts_ns, MessageFn out) noexcept;
  void append(const uint8_t* data, std::size_t len) noexcept;
  void inflate_masked(const uint8_t* data, std::size_t len) noexcept;
  void inflate(const uint8_t* data, std::size_t len) noexcept;
  bool grow() noexcept;
  void too_big() noexcept;
  void protocol_error() noexcept;

  std::size_t max_message_bytes_;
  bool deliver_;
  DecodeStats* stats_;
  DeflateParams deflate_;
  std::unique_ptr<Inflater> inflater_;  // only when delivering (the client side never inflates)

  // Message buffer: capacity_ usable bytes plus kPayloadPadding readable slack past them, so a
  // delivered message can be parsed in place by simdjson. capacity_ <= max_message_bytes_ + 1.
  std::unique_ptr<char[]> buf_;
  std::size_t capacity_ = 0;

  State state_ = State::Header;
  // Frame header being gathered (2..14 bytes).
  uint8_t hdr_[14] = {};
  uint8_t hdr_have_ = 0;
  uint8_t hdr_need_ = 2;
  // Current frame.
  uint64_t remaining_ = 0;  // payload bytes of the frame still to come
  uint8_t opcode_ = 0;
  bool fin_ = false;
  bool masked_ = false;
  uint8_t mask_[4] = {};
  uint32_t mask_pos_ = 0;   // index into mask_ of the next payload byte
  // Current data message (spans fragments).
  bool in_message_ = false;
  bool compressed_ = false;
  bool dropping_ = false;   // too big or not inflatable: the rest of the message is discarded
  std::size_t size_ = 0;    // bytes of the message in buf_
};

}  // namespace tp::feed
