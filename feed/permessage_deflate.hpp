// permessage-deflate decompression (RFC 7692) on zlib: one raw-inflate stream per direction.
//
// Each message's compressed bytes (the payloads of its frames, in order) go through inflate();
// after the last frame the 0x00 0x00 0xff 0xff tail the sender stripped is fed back (end_message()
// does that through the same output loop, see kTail). With context takeover the LZ77 window
// carries over to the next message; with no_context_takeover the stream restarts per message.
#pragma once

#include <cstddef>
#include <cstdint>

#include <zlib.h>

namespace tp::feed {

class Inflater {
 public:
  // The tail RFC 7692 §7.2.2 appends to every message's compressed bytes before inflating.
  static constexpr uint8_t kTail[4] = {0x00, 0x00, 0xFF, 0xFF};

  struct Step {
    std::size_t consumed = 0;
    std::size_t produced = 0;
    bool output_full = false;  // the output span was filled: call again, more may be pending
    bool error = false;        // corrupt data: the stream is unusable until reset()
  };

  // Allocates zlib's state and window once (std::bad_alloc if that fails).
  Inflater();
  ~Inflater();
  Inflater(const Inflater&) = delete;
  Inflater& operator=(const Inflater&) = delete;

  // A new connection: the agreed max_window_bits (8..15) of the sender and whether it resets its
  // compressor after each message. A window of 8 is inflated with 9 bits: zlib (and the servers
  // built on it) compress a raw stream asked for 8 bits with a 9-bit window.
  void reset(uint8_t window_bits, bool no_context_takeover) noexcept;

  // Before the first compressed byte of each message.
  void begin_message() noexcept;
  // Inflates as much of `in` as fits into `out`.
  Step inflate(const uint8_t* in, std::size_t in_len, uint8_t* out, std::size_t out_len) noexcept;
  // After the message's tail was inflated: restart the stream if context takeover is off.
  void end_message() noexcept;

 private:
  void restart_keeping_window() noexcept;

  z_stream z_{};
  int window_bits_ = 15;
  bool no_context_takeover_ = false;
  bool ended_ = false;    // the sender closed the deflate stream (BFINAL) inside this message
  bool broken_ = false;   // inflate failed; nothing more is inflated until reset/end_message
};

}  // namespace tp::feed
