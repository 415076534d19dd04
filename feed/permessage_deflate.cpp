#include "feed/permessage_deflate.hpp"

#include <algorithm>
#include <new>

namespace tp::feed {
namespace {

int effective_bits(uint8_t bits) noexcept { return std::clamp<int>(bits, 9, 15); }

// Inflates a one-byte stored block so zlib allocates its sliding window now rather than at the
// first message (zlib allocates the window lazily, on first output).
void prime_window(z_stream& z) noexcept {
  static constexpr uint8_t kStored[] = {0x00, 0x01, 0x00, 0xFE, 0xFF, 'x'};
  uint8_t out[4];
  z.next_in = const_cast<Bytef*>(kStored);
  z.avail_in = sizeof kStored;
  z.next_out = out;
  z.avail_out = sizeof out;
  ::inflate(&z, Z_SYNC_FLUSH);
}

}  // namespace

Inflater::Inflater() {
  if (inflateInit2(&z_, -15) != Z_OK) throw std::bad_alloc();
  prime_window(z_);
  inflateReset(&z_);  // keeps the window allocation
}

Inflater::~Inflater() { inflateEnd(&z_); }

void Inflater::reset(uint8_t window_bits, bool no_context_takeover) noexcept {
  const int bits = effective_bits(window_bits);
  no_context_takeover_ = no_context_takeover;
  ended_ = false;
  broken_ = false;
  if (bits != window_bits_) {
    // A different window size makes zlib free and later re-allocate the window: once per
    // connection that negotiated a non-default size, never per packet.
    window_bits_ = bits;
    inflateReset2(&z_, -bits);
    prime_window(z_);
  }
  inflateReset(&z_);
}

void Inflater::restart_keeping_window() noexcept {
  // The sender ended its deflate stream (a BFINAL block, RFC 7692 §7.2.3.5 allows it). With
  // context takeover the next message may still refer back into the old window: carry it over
  // as a preset dictionary of the new raw stream.
  if (no_context_takeover_) {
    inflateReset(&z_);
    return;
  }
  Bytef dict[32768];
  uInt dict_len = 0;
  inflateGetDictionary(&z_, dict, &dict_len);
  inflateReset(&z_);
  if (dict_len > 0) inflateSetDictionary(&z_, dict, dict_len);
}

void Inflater::begin_message() noexcept {
  if (ended_) restart_keeping_window();
  ended_ = false;
}

Inflater::Step Inflater::inflate(const uint8_t* in, std::size_t in_len, uint8_t* out, std::size_t out_len) noexcept {
  Step step;
  if (broken_ || ended_) {
    step.consumed = in_len;  // after the end of the deflate stream or an error: nothing to inflate
    step.error = broken_;
    return step;
  }
  // zlib counts in uInt: feed at most 1 GiB per call; the caller loops.
  constexpr std::size_t kMaxChunk = std::size_t{1} << 30;
  z_.next_in = const_cast<Bytef*>(in);
  z_.avail_in = static_cast<uInt>(std::min(in_len, kMaxChunk));
  z_.next_out = out;
  z_.avail_out = static_cast<uInt>(std::min(out_len, kMaxChunk));
  const uInt avail_in = z_.avail_in, avail_out = z_.avail_out;
  const int rc = ::inflate(&z_, Z_SYNC_FLUSH);
  step.consumed = avail_in - z_.avail_in;
  step.produced = avail_out - z_.avail_out;
  step.output_full = z_.avail_out == 0;
  if (rc == Z_STREAM_END) {
    ended_ = true;
    step.consumed = in_len;  // whatever follows the final block (the tail) is not deflate data
    step.output_full = false;
  } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
    broken_ = true;  // Z_DATA_ERROR (incl. a distance beyond the window), Z_NEED_DICT, Z_MEM_ERROR
    step.error = true;
  }
  return step;
}

void Inflater::end_message() noexcept {
  if (no_context_takeover_ || broken_) {
    inflateReset(&z_);
    broken_ = false;
    ended_ = false;
  }
}

}  // namespace tp::feed
