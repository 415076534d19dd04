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
    : max_message_bytes_(options.max_message_bytes), deliver_(options.deliver), stats_(stats) {
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
  in_message_ = false;
  compressed_ = false;
  dropping_ = false;
  size_ = 0;
}

void WebSocketFramer::protocol_error() noexcept {
  stats_->inc(DecodeCounter::ws_protocol_error);
  state_ = State::Failed;
}

void WebSocketFramer::feed(const uint8_t* data, std::size_t len, int64_t ts_ns, MessageFn out) noexcept {
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
      payload(data, take);
      data += take;
      len -= take;
      remaining_ -= take;
      if (state_ == State::Failed) return;  // the payload did not inflate
      if (remaining_ == 0) end_frame(ts_ns, out);
    } else {
      return;  // Closed or Failed: the rest of the direction is ignored
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
  state_ = State::Payload;
  return true;
}

void WebSocketFramer::payload(const uint8_t* data, std::size_t len) noexcept {
  // Control payloads (ping data, close code) are not needed; client payloads are not delivered.
  if (opcode_ >= 0x8 || !deliver_) return;
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
