// The journal (SPEC §7): one JSON object per line, in decision order.
//
// The strategy thread produces JournalRecords (plain, one cache line) into a ring; the journal
// writer, off the hot path, formats and writes them. Formatting needs the symbol names, which
// the writer holds; the records carry only ids.
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "core/config.hpp"
#include "core/orders.hpp"
#include "core/symbol_table.hpp"

namespace tp {

// Checkpoint: every market event up to `client_order_id` (reused as the count of market events
// processed) has all its records before this line; recovery resumes from the last one.
enum class JournalKind : uint8_t { Order = 0, Fill = 1, Reject = 2, State = 3, Day = 4, Cancel = 5, Checkpoint = 6 };

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
  uint64_t client_order_id;  // order, fill, reject, cancel; checkpoint: market events processed
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
  uint8_t ring_turn;         // owned by SpscRing (one cache line per slot); never set by users
};
static_assert(sizeof(JournalRecord) == 64);
static_assert(std::is_trivially_copyable_v<JournalRecord>);

// Formats one record as its JSON line (with the trailing '\n') into `buf` (at least
// kMaxJournalLine bytes); returns the length. Pure function: tests and recovery use it too.
inline constexpr std::size_t kMaxJournalLine = 512;
std::size_t format_journal_line(const JournalRecord& r, const SymbolTable& symbols, char* buf) noexcept;

// The journal does not match the run that is resuming it (another capture or configuration).
class JournalMismatch : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// What a resumed journal already holds: the complete lines up to and including its last
// checkpoint. The resumed run must reproduce them exactly before it appends anything.
struct JournalResume {
  std::vector<std::string> lines;  // without their '\n'
  uint64_t checkpoint_events = 0;  // market events the last checkpoint covers
};

// Reads `path` for --resume: keeps the complete lines up to the last checkpoint and cuts the file
// there (a crash can leave a torn last line or records after it that the resumed run regenerates).
// A missing file or one without a checkpoint resumes from the start (empty result). Throws
// std::runtime_error when the file cannot be read or cut.
JournalResume prepare_resume(const std::string& path);

// Appends formatted records to a file. Not thread-safe: owned by one thread (the monitor thread
// in threaded mode, the only thread in deterministic mode).
class JournalWriter {
 public:
  // Truncates the file, or (resume) appends after the lines in `resume`, which write() must
  // reproduce first. Throws std::runtime_error.
  JournalWriter(const std::string& path, const SymbolTable& symbols, FsyncPolicy fsync = FsyncPolicy::Checkpoint,
                JournalResume resume = {});
  ~JournalWriter();
  JournalWriter(const JournalWriter&) = delete;
  JournalWriter& operator=(const JournalWriter&) = delete;

  // Never throws (it runs inside the pipeline): the first failure - a line that does not match the
  // resumed journal, or an I/O error - is kept, later records are dropped, and the engine stops
  // and reports it (failed(), throw_if_failed()).
  void write(const JournalRecord& r) noexcept;
  // Hands buffered lines to the kernel (write(2)), and fsyncs per the policy.
  void flush() noexcept;
  bool failed() const noexcept { return !error_.empty(); }
  // Throws JournalMismatch or std::runtime_error with the first failure's message.
  void throw_if_failed() const;
  uint64_t records() const noexcept { return records_; }
  // Records written to the file by this run (records() minus the verified resumed prefix).
  uint64_t appended() const noexcept { return records_ - verified_; }
  const std::string& path() const noexcept { return path_; }
  // Lines of the resumed prefix not yet reproduced (0 once the run has caught up).
  std::size_t unverified() const noexcept { return resume_.lines.size() - verified_; }

 private:
  void sync() noexcept;
  void fail(std::string message, bool mismatch) noexcept;

  std::string path_;
  const SymbolTable& symbols_;
  FsyncPolicy fsync_;
  JournalResume resume_;
  std::size_t verified_ = 0;
  static constexpr std::size_t kBufferBytes = 1 << 16;
  std::unique_ptr<char[]> buffer_;  // the stdio buffer of file_, allocated at start-up
  std::FILE* file_ = nullptr;
  uint64_t records_ = 0;
  std::string error_;
  bool mismatch_ = false;
};

}  // namespace tp
