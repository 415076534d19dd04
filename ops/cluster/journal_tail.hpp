// JournalTail: reads a journal file that another thread is appending to, one complete line at a
// time (a line is complete once its '\n' is in the file: the journal writer hands whole lines to
// the kernel), for the cluster link's stream. The file only grows while a run writes it (a resumed
// journal is cut before the run starts), so a line, once read, never changes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tp::ops {

class JournalTail {
 public:
  explicit JournalTail(std::string path);
  ~JournalTail();
  JournalTail(const JournalTail&) = delete;
  JournalTail& operator=(const JournalTail&) = delete;

  // The next complete line, without its '\n' (valid until the next call), or nullopt when the
  // file has no complete line past the last one read (or does not exist yet). Throws
  // std::runtime_error when the file cannot be read.
  std::optional<std::string_view> next();
  // The number (from 1) of the line next() returns next.
  uint64_t next_line() const noexcept { return line_; }
  // Back to the first line.
  void rewind();
  const std::string& path() const noexcept { return path_; }

 private:
  bool fill();  // reads more of the file into buf_; false when nothing new

  std::string path_;
  int fd_ = -1;
  std::string buf_;
  std::size_t pos_ = 0;  // start of the unread part of buf_
  uint64_t line_ = 1;
  std::string line_text_;
};

}  // namespace tp::ops
