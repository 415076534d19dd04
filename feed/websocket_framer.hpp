// RFC 6455 frame decoding of one direction of a WebSocket connection, incremental: bytes arrive
// in chunks cut anywhere (inside a header, a mask key, a payload), many frames per chunk.
//
// Data messages (text and binary, FIN + continuation fragments reassembled, permessage-deflate
// inflated) are handed to a MessageFn; control frames (ping, pong, close) are counted, never
// delivered, and may sit between the fragments of a message. A protocol violation stops the
// direction for good: nothing after it can be framed reliably, and nothing garbled is delivered.
//
// Messages over max_message_bytes are dropped and counted (ws_message_too_big), never the frames
// after them: an uncompressed frame whose header already says the message will be too big is
// skipped by its declared length, unread and unbuffered, and framing resumes at the next header
// (ws_oversized_frame); a compressed message is judged by its inflated size, and its frames still
// end where their headers say (with context takeover the dropped text is inflated and discarded,
// because the next message refers back into it). A stream that ends (finish()) inside a message
// counts that message as ws_truncated_at_end.
//
// Lost bytes (gap(), from a TCP hole that never filled): the message in progress is dropped and
// the framer resynchronises only where a frame boundary is proven (see websocket_framer.cpp,
// "Resynchronisation"); with permessage-deflate and context takeover that is impossible (the
// inflate window is gone), so the direction stops (ws_resync_impossible).
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

// Control frames for a live connection, which must answer pings (with their payload) and close
// frames. Replay sets none: control frames are counted only.
struct ControlFn {
  void* ctx = nullptr;
  // opcode: 0x8 close, 0x9 ping, 0xA pong; payload unmasked, at most 125 bytes.
  void (*fn)(void* ctx, uint8_t opcode, const uint8_t* payload, std::size_t len) noexcept = nullptr;
};

struct FramerOptions {
  std::size_t max_message_bytes = 16u << 20;     // larger messages are dropped and counted
  std::size_t initial_message_bytes = 64u << 10;  // preallocated; grows by doubling up to the max
  // false: frames are parsed, validated and counted but payloads are skipped (the client side,
  // whose messages are never delivered).
  bool deliver = true;
  // Bytes held while looking for a provable frame boundary after a gap (allocated at the first
  // gap). A boundary whose proof needs more than this is not taken.
  std::size_t max_resync_bytes = 1u << 20;
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
  // Bytes were lost between the last feed() and the next one.
  void gap() noexcept;
  // Hands every complete control frame to `fn` (after counting it). Off by default.
  void set_control_sink(ControlFn fn) noexcept { control_ = fn; }
  // The stream ended (FIN, RST, its connection slot reused, end of the capture): a server message
  // left unfinished is counted (ws_truncated_at_end) unless it was counted already (too big), and
  // later bytes are ignored until reset(). Calling it again counts nothing more.
  void finish() noexcept;

  bool failed() const noexcept { return state_ == State::Failed; }
  bool closed() const noexcept { return state_ == State::Closed; }
  bool resyncing() const noexcept { return state_ == State::Resync; }
  bool ended() const noexcept { return state_ == State::Ended; }
  std::size_t message_capacity() const noexcept { return capacity_; }

 private:
  enum class State : uint8_t { Header, Payload, Resync, Closed, Failed, Ended };
  enum class Proof : uint8_t { Invalid, Pending, Proven };
  // Progress of the chain check from the oldest undecided resync candidate.
  struct Scan {
    std::size_t start = 0;   // the candidate's offset in rs_
    std::size_t pos = 0;     // next frame header (offset in rs_), after whole frames only
    std::size_t resume = ~std::size_t{0};  // where delivery would resume (unknown yet)
    uint32_t frames = 0;     // whole frames checked
    bool in_message = false; // a fragmented data message is open
    bool closed = false;     // a close frame was seen: nothing may follow
  };
  static constexpr std::size_t kMaxCandidates = 64;

  void feed_frames(const uint8_t* data, std::size_t len, int64_t ts_ns, MessageFn out) noexcept;
  void resync_feed(const uint8_t* data, std::size_t len, int64_t ts_ns, MessageFn out) noexcept;
  std::size_t resync_piece(const uint8_t* data, std::size_t n, bool seg_start, int64_t ts_ns, MessageFn out) noexcept;
  Proof check_chain(const uint8_t* p, std::size_t len, std::size_t limit, Scan& sc, bool seg_start) const noexcept;
  bool segment_start(std::size_t off) const noexcept;

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
  bool oversized_ = false;  // its header took the message over the limit: payload skipped, counted
  ControlFn control_;
  uint8_t control_payload_[125] = {};  // the current control frame's payload (with a sink only)
  uint8_t control_size_ = 0;
  // Current data message (spans fragments).
  bool in_message_ = false;
  bool compressed_ = false;
  bool dropping_ = false;   // too big or not inflatable: the rest of the message is discarded
  std::size_t size_ = 0;    // bytes of the message in buf_

  // Resynchronisation (state_ == Resync): the bytes since the oldest candidate boundary.
  std::size_t max_resync_bytes_;
  std::unique_ptr<uint8_t[]> rs_;
  std::size_t rs_size_ = 0;
  std::size_t candidates_[kMaxCandidates] = {};  // offsets in rs_ of segment starts, ascending
  std::size_t n_candidates_ = 0;
  Scan scan_;
};

}  // namespace tp::feed
