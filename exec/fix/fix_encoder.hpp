// FixEncoder: the FIX 4.4 messages the engine sends, written into one fixed buffer from
// preformatted parts, with no allocation after construction; each call returns a view valid until
// the next call.
//
// Body layout: 35=<type> 49=<sender> 56=<target> 34=<seq> [43=Y 122=<orig time>] 52=<time> ...
// The body is written from a fixed offset and `8=FIX.4.4<SOH>9=<len><SOH>` is then written just
// before it, right-aligned, so nothing is moved.
//
// What makes it fast (bench/fix_codec_bench.cpp, BENCHMARKS.md "FIX codec"):
//   - `35=?<SOH>49=<sender><SOH>56=<target><SOH>34=` is written into the buffer once, at
//     construction; a message writes its type character and then starts at the MsgSeqNum value;
//   - every tag is a string literal (`<SOH>55=`) copied with a constant-size memcpy, never a
//     number converted per field;
//   - numbers are written two digits at a time from a table; a Fixed is written with its
//     trailing zeros trimmed arithmetically, not by formatting 8 digits and scanning them;
//   - SendingTime/TransactTime: the date and time of day are formatted once a second and the
//     milliseconds once a millisecond, and the 21 bytes are then copied;
//   - the room a message needs is checked once, before it is written (its strings' lengths plus
//     a bound on everything else), not per byte;
//   - the CheckSum of the constant prefix is computed once; the rest is summed 16 bytes at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/types/decimal.hpp"
#include "core/types/events.hpp"
#include "core/types/orders.hpp"

namespace tp::fix {

class FixEncoder {
 public:
  static constexpr std::size_t kCapacity = 4096;

  FixEncoder(std::string_view sender_comp_id, std::string_view target_comp_id);

  // Session messages.
  std::string_view logon(uint64_t seq, int64_t now_ns, int heartbeat_s, bool reset_seq_num, std::string_view username = {},
                         std::string_view password = {}) noexcept;
  std::string_view heartbeat(uint64_t seq, int64_t now_ns, std::string_view test_req_id = {}) noexcept;
  std::string_view test_request(uint64_t seq, int64_t now_ns, std::string_view test_req_id) noexcept;
  std::string_view resend_request(uint64_t seq, int64_t now_ns, uint64_t begin_seq, uint64_t end_seq) noexcept;
  // SequenceReset-GapFill (123=Y) sent in place of messages [seq, new_seq) when they are asked for
  // again: PossDupFlag=Y and OrigSendingTime as the rules require.
  std::string_view gap_fill(uint64_t seq, int64_t now_ns, uint64_t new_seq) noexcept;
  std::string_view logout(uint64_t seq, int64_t now_ns, std::string_view text = {}) noexcept;

  // Application messages. `clordid` etc. are written as given (the caller keeps them unique).
  std::string_view new_order_single(uint64_t seq, int64_t now_ns, std::string_view clordid, std::string_view symbol,
                                    Side side, OrderType type, Fixed qty, Fixed price) noexcept;
  std::string_view order_cancel_request(uint64_t seq, int64_t now_ns, std::string_view clordid,
                                        std::string_view orig_clordid, std::string_view symbol, Side side,
                                        Fixed qty) noexcept;
  std::string_view order_status_request(uint64_t seq, int64_t now_ns, std::string_view clordid, std::string_view symbol,
                                        Side side) noexcept;

  // `YYYYMMDD-HH:MM:SS.sss` (UTCTimestamp, milliseconds) of `ns` into `out` (21 bytes).
  void format_time(int64_t ns, char* out) noexcept;

 private:
  // Writes the type character, the MsgSeqNum and the SendingTime (and PossDupFlag and
  // OrigSendingTime when `poss_dup`); returns where the next field starts, or nullptr when the
  // message, with `var_bytes` of caller strings, might not fit the buffer.
  char* begin(char msg_type, uint64_t seq, int64_t now_ns, std::size_t var_bytes, bool poss_dup = false) noexcept;
  // Writes BodyLength before the body and CheckSum after it (the body ends at `end`).
  std::string_view finish(char* end) noexcept;
  // The 21 bytes of `ns`'s UTCTimestamp (kept until the millisecond changes).
  const char* time_text(int64_t ns) noexcept;

  static constexpr std::size_t kHeaderRoom = 32;  // "8=FIX.4.4|9=" + up to 6 digits + SOH
  // A bound on the bytes any message writes after the prefix, beyond the strings it is given:
  // tags, separators, numbers of up to 20 digits, Fixed values, timestamps (gap_fill, the
  // largest, needs about 110).
  static constexpr std::size_t kMaxFixedPart = 256;
  static constexpr std::size_t kTrailer = 7;  // "10=NNN<SOH>"

  char buf_[kCapacity];
  std::size_t prefix_end_ = kCapacity;  // end of "35=?|49=..|56=..|34=" (kCapacity: CompIDs too long)
  unsigned prefix_sum_ = 0;             // byte sum of that prefix, less its type character
  int64_t cached_ms_ = INT64_MIN;       // the millisecond cached_time_ holds
  int64_t cached_second_ = INT64_MIN;   // the second its first 17 bytes hold
  char cached_time_[21] = {};           // "YYYYMMDD-HH:MM:SS.sss"
};

}  // namespace tp::fix
