#include "feed/message_dump.hpp"

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace tp::feed {

MessageDump::MessageDump(const std::string& path) : path_(path) {
  file_ = std::fopen(path.c_str(), "wb");
  if (file_ == nullptr) throw std::runtime_error("cannot open --dump-messages file '" + path + "': " + std::strerror(errno));
  // Our own buffer: glibc would ignore the size of a null buffer and allocate its default (4 KiB).
  buffer_ = std::make_unique<char[]>(kBufferBytes);
  std::setvbuf(file_, buffer_.get(), _IOFBF, kBufferBytes);
}

MessageDump::~MessageDump() {
  if (file_ != nullptr) std::fclose(file_);
}

void MessageDump::close() {
  if (file_ == nullptr) return;
  const bool failed = std::ferror(file_) != 0;
  const int rc = std::fclose(file_);
  file_ = nullptr;
  if (failed || rc != 0) throw std::runtime_error("cannot write --dump-messages file '" + path_ + "'");
}

}  // namespace tp::feed
