// FixEncoder: the FIX 4.4 messages the engine sends, written into one fixed buffer from
// preformatted parts - the session's CompIDs are formatted once, the SendingTime's date and time
// once a second - with BodyLength and CheckSum computed as the message is finished. No
// allocation after construction; each call returns a view valid until the next call.
//
// Body layout: 35=<type> 49=<sender> 56=<target> 34=<seq> [43=Y 122=<orig time>] 52=<time> ...
// The body is written from a fixed offset and `8=FIX.4.4<SOH>9=<len><SOH>` is then written just
// before it, right-aligned, so nothing is moved.
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
  void begin(std::string_view msg_type, uint64_t seq, int64_t now_ns, bool poss_dup = false) noexcept;
  void add(int tag, std::string_view value) noexcept;
  void add_uint(int tag, uint64_t value) noexcept;
  void add_fixed(int tag, Fixed value) noexcept;  // trailing zeros trimmed: 0.15, 61837.63, 5
  void add_char(int tag, char value) noexcept;
  void add_time(int tag, int64_t ns) noexcept;
  void put(std::string_view s) noexcept;
  void put_uint(uint64_t v) noexcept;
  std::string_view finish() noexcept;

  static constexpr std::size_t kHeaderRoom = 32;  // "8=FIX.4.4|9=" + up to 6 digits + SOH
  char buf_[kCapacity];
  std::size_t end_ = kHeaderRoom;  // where the body written so far ends
  bool overflow_ = false;
  std::string comp_ids_;           // "49=<sender><SOH>56=<target><SOH>"
  int64_t cached_second_ = -1;     // the second cached_time_ holds
  char cached_time_[17] = {};      // "YYYYMMDD-HH:MM:SS"
};

}  // namespace tp::fix
