#include "ops/cluster/journal_tail.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace tp::ops {

JournalTail::JournalTail(std::string path) : path_(std::move(path)) {}

JournalTail::~JournalTail() {
  if (fd_ >= 0) ::close(fd_);
}

void JournalTail::rewind() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  buf_.clear();
  pos_ = 0;
  line_ = 1;
}

bool JournalTail::fill() {
  if (fd_ < 0) {
    fd_ = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) {
      if (errno == ENOENT) return false;
      throw std::runtime_error("journal " + path_ + ": cannot open: " + std::strerror(errno));
    }
  }
  if (pos_ > 0) {
    buf_.erase(0, pos_);
    pos_ = 0;
  }
  char chunk[1 << 16];
  for (;;) {
    const ssize_t n = ::read(fd_, chunk, sizeof chunk);
    if (n > 0) {
      buf_.append(chunk, static_cast<std::size_t>(n));
      return true;
    }
    if (n == 0) return false;
    if (errno == EINTR) continue;
    throw std::runtime_error("journal " + path_ + ": cannot read: " + std::strerror(errno));
  }
}

std::optional<std::string_view> JournalTail::next() {
  for (;;) {
    const std::size_t nl = buf_.find('\n', pos_);
    if (nl != std::string::npos) {
      line_text_.assign(buf_, pos_, nl - pos_);
      pos_ = nl + 1;
      ++line_;
      return std::string_view(line_text_);
    }
    if (!fill()) return std::nullopt;
  }
}

}  // namespace tp::ops
