#include "exec/fix/fix_store.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <vector>

#include "core/timing/wall_clock.hpp"

namespace tp::fix {
namespace {

// Reads an unsigned decimal at `p` up to `end`; false when there is none (or it overflows).
bool read_number(const char*& p, const char* end, uint64_t& out) {
  const char* start = p;
  uint64_t v = 0;
  while (p != end && *p >= '0' && *p <= '9') {
    if (p - start == 19) return false;
    v = v * 10 + static_cast<uint64_t>(*p - '0');
    ++p;
  }
  if (p == start) return false;
  out = v;
  return true;
}

std::size_t format_record(char* out, std::size_t room, char kind, uint64_t a, uint64_t b, bool two) {
  const int n = two ? std::snprintf(out, room, "%c %llu %llu\n", kind, static_cast<unsigned long long>(a),
                                    static_cast<unsigned long long>(b))
                    : std::snprintf(out, room, "%c %llu\n", kind, static_cast<unsigned long long>(a));
  return n > 0 ? static_cast<std::size_t>(n) : 0;
}

}  // namespace

FixStore::FixStore(const std::string& dir, std::string_view sender, std::string_view target) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw std::runtime_error("fix.store_dir '" + dir + "' cannot be created: " + ec.message());
  path_ = (std::filesystem::path(dir) / (std::string(sender) + "-" + std::string(target) + ".fixstore")).string();
  fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd_ < 0) throw std::runtime_error("FIX store '" + path_ + "' cannot be opened: " + std::strerror(errno));
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    const int e = errno;
    ::close(fd_);
    fd_ = -1;
    throw std::runtime_error("FIX store '" + path_ + "' is " +
                             (e == EWOULDBLOCK ? std::string("in use by another process (one engine per FIX session)")
                                               : std::string("not lockable: ") + std::strerror(e)));
  }
  try {
    load();
  } catch (...) {
    ::close(fd_);
    fd_ = -1;
    throw;
  }
  // A new incarnation: its start time, above every earlier one even if the clock went back.
  incarnation_ = std::max<uint64_t>(incarnation_ + 1, static_cast<uint64_t>(realtime_ns() / 1000));
  char rec[48];
  const std::size_t n = format_record(rec, sizeof rec, 'I', incarnation_, 0, false);
  if (!append(rec, n)) {
    ::close(fd_);
    fd_ = -1;
    throw std::runtime_error("FIX store '" + path_ + "' cannot be written: " + std::strerror(errno_));
  }
}

FixStore::~FixStore() {
  if (fd_ >= 0) {
    ::fdatasync(fd_);
    ::close(fd_);
  }
}

void FixStore::load() {
  std::vector<char> data;
  {
    struct stat st {};
    if (::fstat(fd_, &st) != 0) throw std::runtime_error("FIX store '" + path_ + "': " + std::strerror(errno));
    data.resize(static_cast<std::size_t>(st.st_size));
    std::size_t got = 0;
    while (got < data.size()) {
      const ssize_t r = ::pread(fd_, data.data() + got, data.size() - got, static_cast<off_t>(got));
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) throw std::runtime_error("FIX store '" + path_ + "' cannot be read: " + std::strerror(errno));
      got += static_cast<std::size_t>(r);
    }
  }
  const char* p = data.data();
  const char* end = p + data.size();
  const char* good = p;  // the end of the last whole record
  auto bad = [&](const char* what) {
    throw std::runtime_error("FIX store '" + path_ + "' is not a tickpipe FIX store (" + what + " at byte " +
                             std::to_string(good - data.data()) + "); move it away to start the session afresh");
  };
  while (p != end) {
    const char kind = *p;
    if (end - p < 3) break;  // cut short
    if (p[1] != ' ') bad("a record without its kind");
    p += 2;
    uint64_t a = 0;
    uint64_t b = 0;
    if (!read_number(p, end, a)) {
      if (p == end) break;
      bad("a record without its number");
    }
    if (kind == 'S' || kind == 'Z') {
      if (p == end) break;
      if (*p != ' ') bad("a record without its second number");
      ++p;
      if (!read_number(p, end, b)) {
        if (p == end) break;
        bad("a record without its second number");
      }
    }
    if (p == end) break;
    if (*p != '\n') bad("a record not ended by a newline");
    ++p;
    if (kind == 'S') {
      if (static_cast<uint64_t>(end - p) < b + 1) break;  // the message or its newline cut short
      if (p[b] != '\n') bad("a message record not ended by a newline");
      p += b + 1;
      next_out_ = a + 1;
      ++sent_;
    } else if (kind == 'R') {
      next_in_ = a + 1;
    } else if (kind == 'Z') {
      next_out_ = a;
      next_in_ = b;
    } else if (kind == 'I') {
      incarnation_ = std::max(incarnation_, a);
    } else {
      bad("an unknown record kind");
    }
    good = p;
  }
  truncated_ = static_cast<uint64_t>(end - good);
  if (truncated_ != 0 && ::ftruncate(fd_, static_cast<off_t>(good - data.data())) != 0)
    throw std::runtime_error("FIX store '" + path_ + "' cannot be repaired: " + std::strerror(errno));
}

bool FixStore::append(const char* data, std::size_t len) noexcept {
  if (failed_) return false;
  while (len > 0) {
    const ssize_t w = ::write(fd_, data, len);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      failed_ = true;
      errno_ = w < 0 ? errno : EIO;
      return false;
    }
    data += w;
    len -= static_cast<std::size_t>(w);
  }
  return true;
}

bool FixStore::record_sent(uint64_t seq, std::string_view bytes) noexcept {
  if (failed_) return false;
  char head[48];
  const std::size_t n = format_record(head, sizeof head, 'S', seq, bytes.size(), true);
  // One writev: header, message, newline (O_APPEND keeps a record in one piece on the file).
  iovec iov[3] = {{head, n}, {const_cast<char*>(bytes.data()), bytes.size()}, {const_cast<char*>("\n"), 1}};
  std::size_t total = n + bytes.size() + 1;
  ssize_t w;
  do {
    w = ::writev(fd_, iov, 3);
  } while (w < 0 && errno == EINTR);
  if (w != static_cast<ssize_t>(total)) {
    // A short write (disk full): the rest is written plainly, or the store fails.
    if (w < 0) {
      failed_ = true;
      errno_ = errno;
      return false;
    }
    std::size_t done = static_cast<std::size_t>(w);
    for (const iovec& v : iov) {
      const std::size_t len = v.iov_len;
      if (done >= len) {
        done -= len;
        continue;
      }
      if (!append(static_cast<const char*>(v.iov_base) + done, len - done)) return false;
      done = 0;
    }
  }
  next_out_ = seq + 1;
  ++sent_;
  return true;
}

bool FixStore::record_received(uint64_t seq) noexcept {
  char rec[32];
  const std::size_t n = format_record(rec, sizeof rec, 'R', seq, 0, false);
  if (!append(rec, n)) return false;
  next_in_ = seq + 1;
  return true;
}

bool FixStore::reset(uint64_t next_sender_seq, uint64_t next_target_seq) noexcept {
  char rec[48];
  const std::size_t n = format_record(rec, sizeof rec, 'Z', next_sender_seq, next_target_seq, true);
  if (!append(rec, n)) return false;
  next_out_ = next_sender_seq;
  next_in_ = next_target_seq;
  return true;
}

bool FixStore::sync() noexcept {
  if (failed_) return false;
  if (::fdatasync(fd_) != 0) {
    failed_ = true;
    errno_ = errno;
    return false;
  }
  return true;
}

}  // namespace tp::fix
