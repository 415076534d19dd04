// --dump-messages (SPEC §8, §9.11): every decoded application message, byte for byte as it
// arrived, one per line, in capture order, before any parsing.
//
// A diagnostic output: it writes on the feed thread through a 1 MiB stdio buffer, so enabling
// it adds buffered I/O to the feed stage. Off by default.
#pragma once

#include <cstdio>
#include <memory>
#include <string>

#include "feed/message.hpp"

namespace tp::feed {

class MessageDump {
 public:
  explicit MessageDump(const std::string& path);  // throws std::runtime_error
  ~MessageDump();
  MessageDump(const MessageDump&) = delete;
  MessageDump& operator=(const MessageDump&) = delete;

  void write(const Message& m) noexcept {
    std::fwrite(m.data, 1, m.size, file_);
    std::fputc('\n', file_);
  }
  void close();  // flushes; throws std::runtime_error when the data did not reach the file

 private:
  static constexpr std::size_t kBufferBytes = 1 << 20;
  std::string path_;
  std::unique_ptr<char[]> buffer_;  // the stdio buffer of file_, allocated at start-up
  std::FILE* file_ = nullptr;
};

}  // namespace tp::feed
