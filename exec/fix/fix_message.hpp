// FixMessage: a zero-copy view of one FIX 4.4 message the FixFramer delivered whole (its
// BodyLength and CheckSum already checked): its fields as (tag, value) views into the framer's
// buffer, the header fields the session needs read once, and typed getters for the rest. Valid
// only while that buffer is (during the framer's callback). No allocation.
//
// One pass (bench/fix_codec_bench.cpp, BENCHMARKS.md "FIX codec"): the SOHs of 64 bytes at a time
// are found as a bit mask (AVX2 or SSE2 compares; a byte loop where neither is there), each field's
// tag is read and checked (one to three digits without a loop), and the first field of each tag
// below kIndexedTags is recorded in a small table, so get() is O(1) for every tag the engine
// reads; larger tags are found by a scan. The table is not cleared per message: an entry counts
// only while it carries this parse's generation number. Nothing outside `msg` is read.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "core/types/decimal.hpp"

namespace tp::fix {

// The tags the engine reads or writes (FIX 4.4).
namespace tag {
inline constexpr int BeginSeqNo = 7, BeginString = 8, BodyLength = 9, CheckSum = 10, ClOrdID = 11, Commission = 12,
                     CommType = 13, CumQty = 14, EndSeqNo = 16, ExecID = 17, MsgSeqNum = 34, MsgType = 35,
                     NewSeqNo = 36, OrderID = 37, OrderQty = 38, OrdStatus = 39, OrdType = 40, OrigClOrdID = 41,
                     PossDupFlag = 43, Price = 44, RefSeqNum = 45, SenderCompID = 49, SendingTime = 52, Side = 54,
                     Symbol = 55, TargetCompID = 56, Text = 58, TimeInForce = 59, TransactTime = 60, LastPx = 31,
                     LastQty = 32, EncryptMethod = 98, CxlRejReason = 102, OrdRejReason = 103, HeartBtInt = 108,
                     TestReqID = 112, OrigSendingTime = 122, GapFillFlag = 123, ResetSeqNumFlag = 141,
                     ExecType = 150, LeavesQty = 151, SessionRejectReason = 373, RefMsgType = 372,
                     BusinessRejectReason = 380, Username = 553, Password = 554, CxlRejResponseTo = 434;
}  // namespace tag

class FixMessage {
 public:
  static constexpr std::size_t kMaxFields = 96;

  // Parses `msg` (a whole message from FixFramer). False, with error() saying why, when a field is
  // not `<digits>=<value><SOH>`, MsgType is not the third field, MsgSeqNum is missing or not a
  // positive number, or there are more than kMaxFields fields.
  bool parse(std::string_view msg) noexcept;
  const char* error() const noexcept { return error_; }

  std::string_view msg_type() const noexcept { return msg_type_; }
  uint64_t seq() const noexcept { return seq_; }
  bool poss_dup() const noexcept { return poss_dup_; }
  std::string_view raw() const noexcept { return raw_; }

  // The first field with this tag (empty optional: absent).
  std::optional<std::string_view> get(int tag) const noexcept {
    if (static_cast<unsigned>(tag) < kIndexedTags) {
      const uint16_t e = index_[static_cast<unsigned>(tag)];
      if ((e >> 8) != generation_) return std::nullopt;
      return fields_[e & 0xff].value;
    }
    return get_slow(tag);
  }
  bool has(int tag) const noexcept { return get(tag).has_value(); }
  std::optional<uint64_t> get_uint(int tag) const noexcept;
  // A FIX Qty/Price/Amt in the engine's fixed point (SPEC §1): at most 8 fractional digits, no
  // exponent; anything else is nullopt (the caller rejects the message).
  std::optional<Fixed> get_fixed(int tag) const noexcept;
  // A one-character field (Side, OrdStatus, ExecType, ...), or '\0'.
  char get_char(int tag) const noexcept;

  std::size_t field_count() const noexcept { return count_; }
  int tag_at(std::size_t i) const noexcept { return fields_[i].tag; }
  std::string_view value_at(std::size_t i) const noexcept { return fields_[i].value; }

 private:
  struct Field {
    int tag;
    std::string_view value;
  };
  // Tags below this are found through index_; others (and negative ones) by a linear scan.
  static constexpr unsigned kIndexedTags = 1024;
  static_assert(kMaxFields <= 256, "index_ keeps a field index in 8 bits");

  std::optional<std::string_view> get_slow(int tag) const noexcept;
  bool fail(const char* why) noexcept {
    error_ = why;
    return false;
  }

  std::array<Field, kMaxFields> fields_{};
  // index_[tag]: (generation << 8) | index of the tag's first field, for this parse when its
  // generation is generation_ (1..255; 0 is never current, so a zeroed entry is empty).
  std::array<uint16_t, kIndexedTags> index_{};
  unsigned generation_ = 1;
  std::size_t count_ = 0;
  std::string_view raw_;
  std::string_view msg_type_;
  uint64_t seq_ = 0;
  bool poss_dup_ = false;
  const char* error_ = "";
};

}  // namespace tp::fix
