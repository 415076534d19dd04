#include "feed/websocket_framer.hpp"

#include <algorithm>
#include <cstring>
#include <new>

namespace tp::feed {
namespace {

constexpr uint8_t kOpContinuation = 0x0;
constexpr uint8_t kOpText = 0x1;
constexpr uint8_t kOpBinary = 0x2;
constexpr uint8_t kOpClose = 0x8;
constexpr uint8_t kOpPong = 0xA;

void unmask(uint8_t* dst, const uint8_t* src, std::size_t n, const uint8_t mask[4], uint32_t& pos) noexcept {
  for (std::size_t i = 0; i < n; ++i) dst[i] = static_cast<uint8_t>(src[i] ^ mask[(pos + i) & 3]);
  pos = static_cast<uint32_t>((pos + n) & 3);
}

}  // namespace

WebSocketFramer::WebSocketFramer(const FramerOptions& options, DecodeStats* stats)
    : max_message_bytes_(options.max_message_bytes),
      deliver_(options.deliver),
      stats_(stats),
      max_resync_bytes_(std::max<std::size_t>(options.max_resync_bytes, 256)) {
  if (deliver_) {
    inflater_ = std::make_unique<Inflater>();
    // One byte more than the limit can hold, so "exactly the limit" and "over it" differ.
    capacity_ = std::min(std::max<std::size_t>(options.initial_message_bytes, 256), max_message_bytes_ + 1);
    buf_.reset(new char[capacity_ + kPayloadPadding]);
  }
  reset();
}

void WebSocketFramer::reset(const DeflateParams& deflate) noexcept {
  deflate_ = deflate;
  if (inflater_ && deflate_.enabled) inflater_->reset(deflate_.window_bits, deflate_.no_context_takeover);
  state_ = State::Header;
  hdr_have_ = 0;
  hdr_need_ = 2;
  remaining_ = 0;
  oversized_ = false;
  control_size_ = 0;
  in_message_ = false;
  compressed_ = false;
  dropping_ = false;
  size_ = 0;
  rs_size_ = 0;
  n_candidates_ = 0;
}

void WebSocketFramer::protocol_error() noexcept {
  stats_->inc(DecodeCounter::ws_protocol_error);
  state_ = State::Failed;
}

void WebSocketFramer::feed(const uint8_t* data, std::size_t len, int64_t ts_ns, MessageFn out) noexcept {
  if (state_ == State::Resync) {
    resync_feed(data, len, ts_ns, out);
  } else {
    feed_frames(data, len, ts_ns, out);
  }
}

void WebSocketFramer::feed_frames(const uint8_t* data, std::size_t len, int64_t ts_ns, MessageFn out) noexcept {
  while (len > 0) {
    if (state_ == State::Header) {
      const std::size_t take = std::min<std::size_t>(hdr_need_ - hdr_have_, len);
      std::memcpy(hdr_ + hdr_have_, data, take);
      hdr_have_ = static_cast<uint8_t>(hdr_have_ + take);
      data += take;
      len -= take;
      if (hdr_have_ < hdr_need_) return;
      if (hdr_need_ == 2) {
        // The first two bytes tell how long the rest of the header is.
        const uint8_t len7 = hdr_[1] & 0x7F;
        hdr_need_ = static_cast<uint8_t>(2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0) + ((hdr_[1] & 0x80) ? 4 : 0));
        if (hdr_have_ < hdr_need_) continue;
      }
      if (!start_frame()) return;
      if (remaining_ == 0) end_frame(ts_ns, out);
    } else if (state_ == State::Payload) {
      const std::size_t take = static_cast<std::size_t>(std::min<uint64_t>(remaining_, len));
      if (oversized_) {
        // Skipped unread (see start_frame). Counted as the bytes pass: a header that declared far
        // more than the stream holds shows in this count how much of the stream it took.
        stats_->inc(DecodeCounter::ws_oversized_frame_bytes, take);
      } else {
        payload(data, take);
      }
      data += take;
      len -= take;
      remaining_ -= take;
      if (state_ == State::Failed) return;  // the payload did not inflate
      if (remaining_ == 0) end_frame(ts_ns, out);
    } else {
      return;  // Closed, Failed or Ended: the rest of the direction is ignored (Resync: see feed())
    }
  }
}

bool WebSocketFramer::start_frame() noexcept {
  const uint8_t b0 = hdr_[0], b1 = hdr_[1];
  fin_ = (b0 & 0x80) != 0;
  const bool rsv1 = (b0 & 0x40) != 0;
  opcode_ = b0 & 0x0F;
  masked_ = (b1 & 0x80) != 0;
  const uint8_t len7 = b1 & 0x7F;
  std::size_t pos = 2;
  if (len7 == 126) {
    remaining_ = (uint64_t{hdr_[2]} << 8) | hdr_[3];
    pos = 4;
  } else if (len7 == 127) {
    remaining_ = 0;
    for (int i = 0; i < 8; ++i) remaining_ = (remaining_ << 8) | hdr_[2 + i];
    pos = 10;
    if (remaining_ >> 63) {  // RFC 6455 §5.2: the most significant bit MUST be 0
      protocol_error();
      return false;
    }
  } else {
    remaining_ = len7;
  }
  if (masked_) std::memcpy(mask_, hdr_ + pos, 4);
  mask_pos_ = 0;
  hdr_have_ = 0;
  hdr_need_ = 2;
  oversized_ = false;
  control_size_ = 0;

  if ((b0 & 0x30) != 0) {  // RSV2/RSV3: no extension we know defines them
    protocol_error();
    return false;
  }
  if (opcode_ >= 0x8) {
    // Control frames: close/ping/pong only, never fragmented, at most 125 bytes, never compressed.
    if (opcode_ > kOpPong || !fin_ || remaining_ > 125 || rsv1) {
      protocol_error();
      return false;
    }
  } else if (opcode_ == kOpContinuation) {
    if (!in_message_ || rsv1) {  // RFC 7692 §6.1: RSV1 only on a message's first frame
      protocol_error();
      return false;
    }
  } else if (opcode_ == kOpText || opcode_ == kOpBinary) {
    if (in_message_ || (rsv1 && !deflate_.enabled)) {
      protocol_error();
      return false;
    }
    in_message_ = true;
    compressed_ = rsv1;
    dropping_ = false;
    size_ = 0;
    if (compressed_ && deliver_) inflater_->begin_message();
  } else {
    protocol_error();  // reserved opcodes 3-7, 11-15
    return false;
  }
  // An uncompressed message's size is the sum of its frames' declared lengths, so a header that
  // takes it over the limit settles the matter before any payload: the message is dropped now and
  // this frame's payload is skipped by its declared length, never buffered (the buffer does not
  // grow toward the limit for a message that cannot be delivered), so the next frame is framed
  // where it starts. A compressed payload's length says nothing certain about the text it
  // inflates to (either way), so compressed messages are judged by their inflated size (inflate()).
  // size_ <= max_message_bytes_ while not dropping, and both terms are < 2^63: no overflow.
  if (opcode_ < 0x8 && deliver_ && !compressed_ && !dropping_ &&
      uint64_t{size_} + remaining_ > uint64_t{max_message_bytes_}) {
    too_big();
    stats_->inc(DecodeCounter::ws_oversized_frame);
    oversized_ = true;
  }
  state_ = State::Payload;
  return true;
}

void WebSocketFramer::payload(const uint8_t* data, std::size_t len) noexcept {
  if (opcode_ >= 0x8) {
    // Control payloads (ping data, close code) matter only to a live connection's sink; start_frame
    // bounded the frame to 125 bytes.
    if (control_.fn == nullptr) return;
    const std::size_t n = std::min(len, sizeof control_payload_ - control_size_);
    if (masked_) {
      unmask(control_payload_ + control_size_, data, n, mask_, mask_pos_);
    } else {
      std::memcpy(control_payload_ + control_size_, data, n);
    }
    control_size_ = static_cast<uint8_t>(control_size_ + n);
    return;
  }
  // Client payloads are not delivered.
  if (!deliver_) return;
  // A dropped message is skipped, except that with context takeover its compressed bytes still
  // go through the inflater: the next message refers back into this one's text.
  if (dropping_ && !(compressed_ && !deflate_.no_context_takeover)) return;
  if (compressed_) {
    if (masked_) {
      inflate_masked(data, len);
    } else {
      inflate(data, len);
    }
  } else {
    append(data, len);
  }
}

void WebSocketFramer::too_big() noexcept {
  stats_->inc(DecodeCounter::ws_message_too_big);
  dropping_ = true;
}

bool WebSocketFramer::grow() noexcept {
  const std::size_t limit = max_message_bytes_ + 1;
  if (capacity_ >= limit) return false;
  const std::size_t cap = capacity_ > limit / 2 ? limit : capacity_ * 2;
  char* bigger = new (std::nothrow) char[cap + kPayloadPadding];
  if (bigger == nullptr) return false;
  if (size_ > 0) std::memcpy(bigger, buf_.get(), size_);
  buf_.reset(bigger);
  capacity_ = cap;
  return true;
}

void WebSocketFramer::append(const uint8_t* data, std::size_t len) noexcept {
  if (size_ + len > max_message_bytes_) {
    too_big();
    return;
  }
  while (size_ + len > capacity_) {
    if (!grow()) {
      too_big();
      return;
    }
  }
  uint8_t* dst = reinterpret_cast<uint8_t*>(buf_.get()) + size_;
  if (masked_) {
    unmask(dst, data, len, mask_, mask_pos_);
  } else {
    std::memcpy(dst, data, len);
  }
  size_ += len;
}

void WebSocketFramer::inflate_masked(const uint8_t* data, std::size_t len) noexcept {
  uint8_t block[4096];
  while (len > 0 && state_ != State::Failed) {
    const std::size_t n = std::min(len, sizeof block);
    unmask(block, data, n, mask_, mask_pos_);
    inflate(block, n);
    data += n;
    len -= n;
  }
}

void WebSocketFramer::inflate(const uint8_t* data, std::size_t len) noexcept {
  for (;;) {
    if (!dropping_ && size_ == capacity_ && !grow()) too_big();
    // A message over the limit is still inflated (into the buffer's start, then discarded): with
    // context takeover the next message refers back into this one's text.
    uint8_t* out = reinterpret_cast<uint8_t*>(buf_.get()) + (dropping_ ? 0 : size_);
    const std::size_t room = dropping_ ? capacity_ : capacity_ - size_;
    const Inflater::Step step = inflater_->inflate(data, len, out, room);
    data += step.consumed;
    len -= step.consumed;
    if (!dropping_) {
      size_ += step.produced;
      if (size_ > max_message_bytes_) too_big();
    }
    if (step.error) {
      stats_->inc(DecodeCounter::ws_inflate_error);
      dropping_ = true;  // not counted as too big: dropping_ only stops delivery
      // Without context takeover the next message starts a fresh stream (end_message resets it);
      // with it, every later message depends on the lost window: stop the direction.
      if (!deflate_.no_context_takeover) state_ = State::Failed;
      return;
    }
    if (len == 0 && !step.output_full) return;
    if (step.consumed == 0 && step.produced == 0 && !step.output_full) return;  // no progress
  }
}

void WebSocketFramer::end_frame(int64_t ts_ns, MessageFn out) noexcept {
  state_ = State::Header;
  if (opcode_ >= 0x8) {
    stats_->inc(DecodeCounter::ws_control_frame);
    if (opcode_ == kOpClose) state_ = State::Closed;  // nothing may follow a close frame
    if (control_.fn != nullptr) {
      const uint8_t n = control_size_;
      control_size_ = 0;
      control_.fn(control_.ctx, opcode_, control_payload_, n);
    }
    return;
  }
  if (!fin_) return;  // more fragments follow
  in_message_ = false;
  if (!deliver_) {
    stats_->inc(DecodeCounter::ws_client_message);
    return;
  }
  if (compressed_) {
    if (!dropping_ || !deflate_.no_context_takeover) inflate(Inflater::kTail, sizeof Inflater::kTail);
    if (state_ == State::Failed) return;
    inflater_->end_message();
  }
  if (dropping_) return;
  stats_->inc(DecodeCounter::messages_websocket);
  out(Message{buf_.get(), size_, ts_ns});
}

}  // namespace tp::feed

namespace tp::feed {

// ---------------------------------------------------------------------------------------------
// Resynchronisation after lost bytes
//
// After a hole the byte stream resumes at an unknown position: maybe a frame header, more likely
// the middle of a payload. Taking a wrong position for a header would deliver garbage, so the
// framer resumes only where a boundary is proven:
//
//  1. Every byte offset after the hole is a candidate, oldest first; from a candidate, frames are
//     parsed back to back and every header must be one this connection's server can send: RSV2
//     and RSV3 clear; RSV1 only with permessage-deflate and only on the first frame of a
//     text/binary message; opcode text, binary, continuation, close, ping or pong; continuation
//     only inside a fragmented message, text/binary only outside one (the chain starts outside
//     any message: the straddling one is dropped); control frames FIN and <= 125 bytes; nothing
//     after a close; unmasked (server) or masked (client); the length in its shortest form
//     (RFC 6455 §5.2), at most max_message_bytes, and the frame must fit the resync buffer.
//  2. The chain proves the boundary when every header up to the end of the bytes received so far
//     is valid and either
//       a. the candidate is the start of a TCP segment (senders write a message or a batch per
//          send(), so segment starts are where real headers are likely) and the chain holds at
//          least 4 whole frames, or at least 2 ending exactly where the received bytes end, at
//          a segment end (a quiet stream: frames and segments in step); or
//       b. the candidate is any other offset (a busy stream whose segments are cut anywhere) and
//          the chain holds at least 8 whole frames.
//     Candidates are judged oldest first; a younger one is never taken while an older one is
//     still undecided (waiting for bytes).
//  3. The chain's first frames are never delivered: delivery resumes at the first frame after
//     the first 1 (segment start) or 3 (other offsets) that starts outside a fragmented message.
//
// Why no false boundary is taken in practice. For the venue's JSON text a false chain cannot even
// start: JSON bytes are below 0x80 or UTF-8, the only valid unmasked first bytes below 0x80 are
// 0x01/0x02 (0x41/0x42 with deflate) opening an unfinished message, which must be followed by a
// continuation header 0x00 or 0x80, and JSON never holds 0x00-0x02 unescaped. Random payload
// bytes (binary or compressed messages) are the hard case: a byte passes the first-header-byte
// and mask tests with probability ~11/512, so a false chain running to the end of the data is
// hopeless, but a false header whose length lands exactly on a real header (~1/128 for short
// frames) makes a chain that continues with real frames: ~1.6e-4 per offset, and the scan looks
// at every offset of the straddling frame's remainder. Rule 3 is against exactly that: the
// resume point is wrong only if the first k+1 headers of the chain are all false, ~(11/512)^k
// x 1.6e-4 per offset: ~3e-6 per segment start (k = 1, a handful per hole) and ~1.6e-9 per other
// offset (k = 3, at most the straddling remainder per hole), so ~1e-5 per hole for a random
// binary feed with short frames (tests/feed/resync_fragments_test.cpp runs 1,500 such holes and
// met the k = 0 and k = 1 cases before these rules), and nil for JSON. What the rules cost: the
// messages from the hole to the resume point (the lost ones plus 1-3 more), and the last frames of
// a capture after a hole when too few follow to prove them.
//
// When proven, the bytes from the resume point on are decoded normally (their messages carry
// the capture time of the packet that completed the proof), and tcp_resync is counted.

void WebSocketFramer::finish() noexcept {
  if (state_ == State::Closed || state_ == State::Failed || state_ == State::Ended) return;
  // Only the server side delivers, so only its losses are counted (the client side counts the
  // messages it saw whole, ws_client_message, and loses nothing the run would have used).
  if (deliver_ && (state_ == State::Header || state_ == State::Payload)) {
    bool cut = false;
    if (in_message_) {
      // Inside a data message: in its frames' payload, between its fragments, or in a control
      // frame or a header between them. One dropped as too big was counted when it was dropped.
      cut = !dropping_;
    } else if (state_ == State::Payload) {
      // Outside a message the current frame is a control frame (a data frame opens a message):
      // control frames are never delivered, so nothing is lost.
      cut = false;
    } else if (hdr_have_ > 0) {
      // A header cut off: its first byte tells a data frame (text/binary) from a control frame.
      const uint8_t op = hdr_[0] & 0x0F;
      cut = op == kOpText || op == kOpBinary;
    }
    if (cut) stats_->inc(DecodeCounter::ws_truncated_at_end);
  }
  // Resync: the bytes held while looking for a boundary go with the hole they follow (tcp_gap).
  rs_size_ = 0;
  n_candidates_ = 0;
  state_ = State::Ended;
}

void WebSocketFramer::gap() noexcept {
  if (state_ == State::Closed || state_ == State::Failed || state_ == State::Ended) return;
  if (!deliver_) {
    // The client side only validates and counts; it simply stops at a hole.
    state_ = State::Failed;
    return;
  }
  if (deflate_.enabled && !deflate_.no_context_takeover) {
    // Every later message may refer back into the lost text: nothing can be inflated reliably.
    stats_->inc(DecodeCounter::ws_resync_impossible);
    state_ = State::Failed;
    return;
  }
  if (!rs_) {
    rs_.reset(new (std::nothrow) uint8_t[max_resync_bytes_]);
    if (!rs_) {
      state_ = State::Failed;
      return;
    }
  }
  // The message that straddles the hole is dropped (never spliced).
  in_message_ = false;
  compressed_ = false;
  dropping_ = false;
  size_ = 0;
  hdr_have_ = 0;
  hdr_need_ = 2;
  remaining_ = 0;
  if (deflate_.enabled) inflater_->reset(deflate_.window_bits, deflate_.no_context_takeover);
  rs_size_ = 0;
  n_candidates_ = 0;
  scan_ = Scan{};
  state_ = State::Resync;
}

bool WebSocketFramer::segment_start(std::size_t off) const noexcept {
  for (std::size_t k = 0; k < n_candidates_; ++k) {
    if (candidates_[k] == off) return true;
  }
  return false;
}

WebSocketFramer::Proof WebSocketFramer::check_chain(const uint8_t* p, std::size_t len, std::size_t limit, Scan& sc,
                                                    bool seg_start) const noexcept {
  constexpr std::size_t kUnknown = ~std::size_t{0};
  // Segment starts: the first frame is not delivered and 4 frames prove (2 ending exactly at a
  // segment end). Any other offset: the first 3 frames are not delivered and 8 frames prove.
  const uint32_t skip = seg_start ? 1 : 3, enough = seg_start ? 4 : 8;
  auto settled = [&](bool at_end) {
    if (sc.resume == kUnknown) return Proof::Pending;
    if (sc.frames >= enough) return Proof::Proven;
    if (at_end && seg_start && sc.frames >= 2) return Proof::Proven;
    return Proof::Pending;
  };
  for (;;) {
    if (sc.pos == len) return settled(true);
    if (sc.closed) return Proof::Invalid;  // bytes after a close frame
    const std::size_t avail = len - sc.pos;
    const uint8_t* h = p + sc.pos;
    const uint8_t b0 = h[0];
    const bool fin = (b0 & 0x80) != 0;
    const bool rsv1 = (b0 & 0x40) != 0;
    const uint8_t op = b0 & 0x0F;
    if ((b0 & 0x30) != 0) return Proof::Invalid;
    if (op >= 0x8) {
      if (op > kOpPong || !fin || rsv1) return Proof::Invalid;
    } else if (op == kOpContinuation) {
      if (!sc.in_message || rsv1) return Proof::Invalid;
    } else if (op == kOpText || op == kOpBinary) {
      if (sc.in_message || (rsv1 && !deflate_.enabled)) return Proof::Invalid;
    } else {
      return Proof::Invalid;
    }
    if (avail < 2) return settled(false);
    const uint8_t b1 = h[1];
    const bool masked = (b1 & 0x80) != 0;
    if (masked == deliver_) return Proof::Invalid;  // servers never mask, clients always do
    const uint8_t len7 = b1 & 0x7F;
    if (op >= 0x8 && len7 > 125) return Proof::Invalid;
    const std::size_t hdr_len = 2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0) + (masked ? 4 : 0);
    if (len7 >= 126 && avail < hdr_len) return settled(false);  // the length is not all here yet
    uint64_t plen = len7;
    if (len7 == 126) {
      plen = (uint64_t{h[2]} << 8) | h[3];
      if (plen < 126) return Proof::Invalid;  // not the shortest form
    } else if (len7 == 127) {
      plen = 0;
      for (int i = 0; i < 8; ++i) plen = (plen << 8) | h[2 + i];
      if (plen < 65536 || (plen >> 63) != 0) return Proof::Invalid;
    }
    if (plen > max_message_bytes_) return Proof::Invalid;
    const uint64_t frame_end = uint64_t{sc.pos} + hdr_len + plen;
    if (frame_end - sc.start > limit) return Proof::Invalid;  // could never be proven in the buffer
    if (frame_end > len) return settled(false);
    sc.pos = static_cast<std::size_t>(frame_end);
    ++sc.frames;
    if (op < 0x8) {
      sc.in_message = !fin;
    } else if (op == kOpClose) {
      sc.closed = true;
    }
    if (sc.resume == kUnknown && sc.frames >= skip && !sc.in_message) sc.resume = sc.pos;
  }
}

void WebSocketFramer::resync_feed(const uint8_t* data, std::size_t len, int64_t ts_ns, MessageFn out) noexcept {
  bool seg_start = true;
  while (len > 0 && state_ == State::Resync) {
    // A chunk bigger than the buffer goes in pieces; only the first starts a segment.
    const std::size_t n = std::min(len, max_resync_bytes_);
    const std::size_t used = resync_piece(data, n, seg_start, ts_ns, out);
    data += used;
    len -= used;
    seg_start = false;
  }
  if (len > 0) feed(data, len, ts_ns, out);  // proven inside the chunk: the rest decodes normally
}

std::size_t WebSocketFramer::resync_piece(const uint8_t* data, std::size_t n, bool seg_start, int64_t ts_ns,
                                          MessageFn out) noexcept {
  // Bytes before the oldest undecided candidate are useless: move the rest to the front.
  if (rs_size_ + n > max_resync_bytes_ && scan_.start > 0) {
    const std::size_t shift = scan_.start;
    std::memmove(rs_.get(), rs_.get() + shift, rs_size_ - shift);
    rs_size_ -= shift;
    std::size_t kept = 0;
    for (std::size_t k = 0; k < n_candidates_; ++k) {
      if (candidates_[k] >= shift) candidates_[kept++] = candidates_[k] - shift;
    }
    n_candidates_ = kept;
    scan_.start -= shift;
    scan_.pos -= shift;
    if (scan_.resume != ~std::size_t{0}) scan_.resume -= shift;
  }
  if (rs_size_ + n > max_resync_bytes_) {
    // Still no room: the oldest candidates could not be proven within the buffer. Give up as
    // many bytes at the front as the new ones need.
    const std::size_t drop = rs_size_ + n - max_resync_bytes_;
    std::memmove(rs_.get(), rs_.get() + drop, rs_size_ - drop);
    rs_size_ -= drop;
    std::size_t kept = 0;
    for (std::size_t k = 0; k < n_candidates_; ++k) {
      if (candidates_[k] >= drop) candidates_[kept++] = candidates_[k] - drop;
    }
    n_candidates_ = kept;
    scan_ = Scan{};
  }
  if (seg_start) {
    if (n_candidates_ == kMaxCandidates) {
      for (std::size_t k = 1; k < n_candidates_; ++k) candidates_[k - 1] = candidates_[k];
      --n_candidates_;
    }
    candidates_[n_candidates_++] = rs_size_;
  }
  std::memcpy(rs_.get() + rs_size_, data, n);
  rs_size_ += n;
  while (scan_.start < rs_size_) {
    switch (check_chain(rs_.get(), rs_size_, max_resync_bytes_, scan_, segment_start(scan_.start))) {
      case Proof::Invalid: {
        const std::size_t next = scan_.start + 1;
        scan_ = Scan{};
        scan_.start = scan_.pos = next;
        continue;
      }
      case Proof::Pending:
        return n;
      case Proof::Proven: {
        const std::size_t from = scan_.resume;
        const std::size_t len = rs_size_ - from;
        rs_size_ = 0;
        n_candidates_ = 0;
        scan_ = Scan{};
        stats_->inc(DecodeCounter::tcp_resync);
        state_ = State::Header;
        feed_frames(rs_.get() + from, len, ts_ns, out);
        return n;
      }
    }
  }
  // Every offset was refuted: nothing is worth keeping.
  rs_size_ = 0;
  n_candidates_ = 0;
  scan_ = Scan{};
  return n;
}

}  // namespace tp::feed
