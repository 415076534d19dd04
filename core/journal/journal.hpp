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

#include "core/config/config.hpp"
#include "core/types/control_command.hpp"
#include "core/types/counters.hpp"
#include "core/types/orders.hpp"
#include "core/threads/process_signals.hpp"
#include "core/types/symbol_table.hpp"

namespace tp {

// Checkpoint: every market event up to `client_order_id` (reused as the count of market events
// processed) has all its records before this line; recovery resumes from the last one.
// Command: an operator command (the kill switch) taken after `client_order_id` market events. It is
// an input, not a decision: --resume re-applies it at the same event (docs/durability.md).
enum class JournalKind : uint8_t {
  Order = 0, Fill = 1, Reject = 2, State = 3, Day = 4, Cancel = 5, Checkpoint = 6, Command = 7
};

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
  uint64_t client_order_id;  // order, fill, reject, cancel; checkpoint, command: market events processed
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
  TradingState to_state;     // state; command: the state it asks for
  StateReason state_reason;
  CommandSource command_source;  // command
  bool flatten;                  // command
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

// The file given to --resume is not a tickpipe journal: nothing was changed (exit status 2).
class NotAJournal : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// An operator command found in a resumed journal: apply `command` once `events` market events
// have been processed, as the run that wrote it did.
struct JournaledCommand {
  uint64_t events = 0;
  ControlCommand command;
};

// What a resumed journal already holds: the complete lines up to and including its last
// checkpoint. The resumed run must reproduce them exactly before it appends anything.
struct JournalResume {
  std::vector<std::string> lines;  // without their '\n'
  uint64_t checkpoint_events = 0;  // market events the last checkpoint covers
  std::size_t keep_bytes = 0;      // the file is cut here when the run starts (JournalWriter::start)
  std::vector<JournaledCommand> commands;  // in `lines`, in order
};

// Reads `path` for --resume; changes nothing. A missing file, or a journal without a checkpoint,
// resumes from the start (empty result). Throws NotAJournal when a complete line of the file is not
// a journal line (nothing is cut), std::runtime_error when the file cannot be read.
JournalResume prepare_resume(const std::string& path);

// Appends formatted records to a file. Not thread-safe: owned by one thread (the monitor thread
// in threaded mode, the only thread in deterministic mode), which is also the thread the stop
// signals are delivered to (core/threads/process_signals.hpp): a second SIGINT/SIGTERM hands every
// formatted line to the kernel and fsyncs before the process exits.
//
// Nothing that exists is changed before start(): a fresh journal is written to a temporary file
// beside `path` (".NAME.tmp-PID") that start() renames over it, so a run that fails during
// start-up leaves the old journal as it was. A path that is not a regular file (/dev/null, a FIFO)
// is written in place; a symbolic link is followed (its target is replaced, the link stays).
class JournalWriter {
 public:
  // Opens the temporary file (or, resume, the journal for appending after the lines in `resume`,
  // which write() must reproduce first). Throws std::runtime_error naming the path and the reason.
  JournalWriter(const std::string& path, const SymbolTable& symbols, FsyncPolicy fsync = FsyncPolicy::Checkpoint,
                JournalResume resume = {});
  // Removes the temporary file unless start() ran.
  ~JournalWriter();
  JournalWriter(const JournalWriter&) = delete;
  JournalWriter& operator=(const JournalWriter&) = delete;

  // The run starts producing: the journal takes its place at `path` (a fresh one replaces the old
  // file; a resumed one is cut after its last checkpoint). Throws std::runtime_error.
  void start();

  // Never throws (it runs inside the pipeline): the first failure - a line that does not match the
  // resumed journal, or an I/O error - is kept, later records are dropped, and the engine stops
  // and reports it (failed(), throw_if_failed()).
  void write(const JournalRecord& r) noexcept;
  // Hands buffered lines to the kernel (write(2)), and fsyncs per the policy.
  void flush() noexcept;
  // Hands buffered lines to the kernel and fsyncs whatever the policy (a stop by signal).
  void flush_and_sync() noexcept;
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
  bool write_out() noexcept;                 // buffer -> kernel; false on error (errno set)
  static void emergency_flush(void* self) noexcept;  // async-signal-safe (JournalFlushHook)

  std::string path_;
  std::string target_;  // the file the journal becomes (path_, or a symbolic link's target)
  std::string temp_;    // the temporary file until start(); empty when writing in place
  const SymbolTable& symbols_;
  FsyncPolicy fsync_;
  JournalResume resume_;
  std::size_t verified_ = 0;
  static constexpr std::size_t kBufferBytes = 1 << 16;
  std::unique_ptr<char[]> buffer_;  // formatted lines not yet handed to the kernel
  std::size_t used_ = 0;
  int fd_ = -1;
  bool started_ = false;
  bool truncate_at_start_ = false;  // written in place: cut to resume_.keep_bytes (0) at start()
  Counter records_ = 0;  // read by /metrics while the journal thread writes
  std::string error_;
  bool mismatch_ = false;
  JournalFlushHook hook_;
};

}  // namespace tp
