// FixFramer: cuts a FIX 4.4 byte stream (what a TCP socket delivers, in any split) into whole
// messages, checking each one's BodyLength (9) and CheckSum (10) before anything reads it.
//
//   8=FIX.4.4<SOH>9=<len><SOH> ...len bytes... 10=<3 digits><SOH>
//
// A message whose CheckSum is wrong, or whose BodyLength does not land on a `10=` field, is
// garbled: it is counted and skipped, as the FIX session rules say (not processed, no reject, its
// sequence number not consumed; the gap it leaves is found at the next message), and the framer
// resynchronises at the next `8=FIX.4.4<SOH>`. Bytes before a BeginString are counted as garbage.
// Fixed capacity (a message longer than it is garbled), no allocation after construction.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string_view>

#include "core/types/counters.hpp"

namespace tp::fix {

struct FramerStats {
  Counter messages = 0;      // whole, valid messages delivered
  Counter bad_checksum = 0;  // skipped: CheckSum did not match
  Counter bad_length = 0;    // skipped: BodyLength did not end at a CheckSum field, or too long
  Counter garbage_bytes = 0; // bytes skipped while looking for a BeginString
};

class FixFramer {
 public:
  static constexpr std::size_t kDefaultCapacity = 64 * 1024;
  explicit FixFramer(std::size_t capacity = kDefaultCapacity);

  // Takes `len` bytes (any split of the stream) and calls out(std::string_view message) for every
  // valid message they complete; the view is valid during the call only.
  template <typename Out>
  void feed(const char* data, std::size_t len, Out&& out) noexcept {
    while (len > 0) {
      const std::size_t room = capacity_ - size_;
      const std::size_t n = len < room ? len : room;
      std::memcpy(buf_.get() + size_, data, n);
      size_ += n;
      data += n;
      len -= n;
      drain(out);  // a message longer than the capacity is garbled: the buffer never stays full
    }
  }

  const FramerStats& stats() const noexcept { return stats_; }
  std::size_t buffered() const noexcept { return size_; }
  // Forgets what is buffered (a new connection).
  void reset() noexcept { size_ = 0; }

 private:
  enum class Scan : uint8_t { Message, NeedMore, Garbled };
  // Looks at the front of the buffer: a whole valid message of `msg_len` bytes, too few bytes yet,
  // or garbled (checksum or length; `bad_checksum` says which).
  Scan scan(std::size_t& msg_len, bool& bad_checksum) const noexcept;
  template <typename Out>
  void drain(Out& out) noexcept {
    for (;;) {
      if (!align()) return;
      std::size_t msg_len = 0;
      bool bad_checksum = false;
      const Scan s = scan(msg_len, bad_checksum);
      if (s == Scan::NeedMore) return;
      if (s == Scan::Garbled) {
        if (bad_checksum) {
          ++stats_.bad_checksum;
          consume(msg_len);  // its length was right: the next message starts after it
        } else {
          ++stats_.bad_length;
          consume(1);  // where it really ends is unknown: look for the next BeginString
        }
        continue;
      }
      ++stats_.messages;
      out(std::string_view(buf_.get(), msg_len));
      consume(msg_len);
    }
  }
  // Moves to the next BeginString (counting skipped bytes as garbage); false when the buffer holds
  // none yet (a partial prefix is kept).
  bool align() noexcept;
  void consume(std::size_t n) noexcept;

  std::unique_ptr<char[]> buf_;
  std::size_t capacity_;
  std::size_t size_ = 0;
  FramerStats stats_;
};

}  // namespace tp::fix
