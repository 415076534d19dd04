// FixStore: what a FIX session keeps on disk (`[fix] store_dir`) so that a restart continues the
// session where it was: the next sequence number in each direction, every message sent, and the
// start of each process that used the session (the prefix that keeps ClOrdIDs unique).
//
// One append-only file per session, `<store_dir>/<SenderCompID>-<TargetCompID>.fixstore`:
//
//   I <start_us>\n                  a process took the session (its incarnation)
//   S <seq> <len>\n<len bytes>\n    a message sent with MsgSeqNum <seq>, written before its bytes
//                                   go on the wire (so a number once used is never used again)
//   R <seq>\n                       every inbound number up to <seq> is processed (next expected:
//                                   <seq> + 1)
//   Z <next_out> <next_in>\n        the numbers were set (a ResetSeqNumFlag logon, a SequenceReset)
//
// Opening reads the file from the start; a record cut short by a crash is cut off (the file is
// truncated to its last whole record) and counted. Records are written with one write(2) each, not
// synced: they survive a crash of the process (they are in the page cache), not a crash of the
// machine; sync() (fdatasync) runs at logout and shutdown. See docs/fix.md "The store".
// The file is locked (flock) while open: two engines on one session would reuse sequence numbers.
//
// Single-threaded (the gateway thread; opened before the stages start). No allocation after open.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/types/counters.hpp"

namespace tp::fix {

class FixStore {
 public:
  // Creates `dir` (and the file) when missing. Throws std::runtime_error naming the path: not
  // writable, locked by another process, or not a store.
  FixStore(const std::string& dir, std::string_view sender_comp_id, std::string_view target_comp_id);
  ~FixStore();
  FixStore(const FixStore&) = delete;
  FixStore& operator=(const FixStore&) = delete;

  uint64_t next_sender_seq() const noexcept { return next_out_; }
  uint64_t next_target_seq() const noexcept { return next_in_; }
  // This process's start in microseconds since the epoch, above every earlier incarnation's.
  uint64_t incarnation() const noexcept { return incarnation_; }
  const std::string& path() const noexcept { return path_; }
  // Whole messages sent so far, over every incarnation (what was read at open plus what this
  // process wrote).
  uint64_t messages_sent() const noexcept { return sent_; }
  // Bytes cut off at open (a record a crash left unfinished).
  uint64_t truncated_bytes() const noexcept { return truncated_; }

  // Each returns false when the write failed (disk full, I/O error): the session must not send.
  bool record_sent(uint64_t seq, std::string_view bytes) noexcept;
  bool record_received(uint64_t seq) noexcept;
  bool reset(uint64_t next_sender_seq, uint64_t next_target_seq) noexcept;
  bool sync() noexcept;

  bool failed() const noexcept { return failed_; }
  int last_errno() const noexcept { return errno_; }

 private:
  void load();
  bool append(const char* data, std::size_t len) noexcept;

  std::string path_;
  int fd_ = -1;
  uint64_t next_out_ = 1;
  uint64_t next_in_ = 1;
  uint64_t incarnation_ = 0;
  uint64_t sent_ = 0;
  uint64_t truncated_ = 0;
  bool failed_ = false;
  int errno_ = 0;
};

}  // namespace tp::fix
