// The journal (SPEC §7): one JSON object per line, in decision order.
//
// The strategy thread produces JournalRecords (plain, one cache line) into a ring; the journal
// writer, off the hot path, formats and writes them. Formatting needs the symbol names, which
// the writer holds; the records carry only ids.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <type_traits>

#include "core/orders.hpp"
#include "core/symbol_table.hpp"

namespace tp {

enum class JournalKind : uint8_t { Order = 0, Fill = 1, Reject = 2, State = 3, Day = 4, Cancel = 5 };

enum class StateReason : uint8_t { LossLimit = 0, KillSwitch = 1, DayReset = 2, Operator = 3 };
constexpr const char* state_reason_name(StateReason r) noexcept {
  switch (r) {
    case StateReason::LossLimit: return "loss_limit";
    case StateReason::KillSwitch: return "kill_switch";
    case StateReason::DayReset: return "day_reset";
    case StateReason::Operator: return "operator";
  }
  return "unknown";
}

struct alignas(64) JournalRecord {
  int64_t ts_ns;
  uint64_t client_order_id;  // order, fill, reject
  Fixed qty;                 // order, fill; cancel: quantity filled before the cancel
  Fixed price;               // fill; limit order
  Fixed fee;                 // fill
  Fixed pnl;                 // day: closing day P&L
  SymbolId symbol_id;        // order, fill
  JournalKind kind;
  Side side;
  OrderType order_type;
  OrderReason order_reason;
  uint8_t level;             // 0 = none
  RejectReason reject_reason;
  TradingState from_state;
  TradingState to_state;
  StateReason state_reason;
};
static_assert(sizeof(JournalRecord) == 64);
static_assert(std::is_trivially_copyable_v<JournalRecord>);

// Formats one record as its JSON line (with the trailing '\n') into `buf` (at least
// kMaxJournalLine bytes); returns the length. Pure function: tests and recovery use it too.
inline constexpr std::size_t kMaxJournalLine = 512;
std::size_t format_journal_line(const JournalRecord& r, const SymbolTable& symbols, char* buf) noexcept;

// Appends formatted records to a file. Not thread-safe: owned by one thread (the monitor thread
// in threaded mode, the only thread in deterministic mode).
class JournalWriter {
 public:
  JournalWriter(const std::string& path, const SymbolTable& symbols);  // throws std::runtime_error
  ~JournalWriter();
  JournalWriter(const JournalWriter&) = delete;
  JournalWriter& operator=(const JournalWriter&) = delete;

  void write(const JournalRecord& r);
  // Hands buffered lines to the kernel (write(2)). Called after each drained batch so a crash of
  // the process loses nothing the writer has seen; fsync policy is the caller's.
  void flush();
  uint64_t records() const noexcept { return records_; }
  const std::string& path() const noexcept { return path_; }

 private:
  std::string path_;
  const SymbolTable& symbols_;
  std::FILE* file_ = nullptr;
  uint64_t records_ = 0;
};

}  // namespace tp
