// EventLog: one structured line per operational event (connects, reconnects, stale and fresh
// symbols, state changes, rejects, admin commands, start and stop), in logfmt:
//
//   ts=2026-12-05T06:01:02.123456789Z level=info event=feed_connected conn=1 host=127.0.0.1 port=9443
//
// Never written by a hot-path stage itself: the feed and gateway threads post() a fixed-size record
// into a ring of their own (no allocation, no lock, no system call; a full ring counts a drop) and
// the monitor thread drain()s them to the output. Threads off the hot path (the journal writer, the ops
// endpoint, main) write() directly, under a mutex. Records below the configured level are dropped
// where they are made.
#pragma once

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string_view>

#include "core/threads/spsc_ring.hpp"

namespace tp {

enum class LogLevel : uint8_t { Debug = 0, Info = 1, Warn = 2, Error = 3 };
// The hot-path threads that post(): each has its own single-producer ring.
enum class LogProducer : uint8_t { Feed = 0, Gateway = 1 };
inline constexpr std::size_t kLogProducers = 2;
const char* log_level_name(LogLevel l) noexcept;
// "debug", "info", "warn", "error"; false for anything else.
bool parse_log_level(std::string_view text, LogLevel& out) noexcept;

// The key=value part of a line, built in a fixed buffer (values quoted and escaped as logfmt
// needs; a line too long is cut at a field boundary and ends with `truncated=true`).
class LogFields {
 public:
  LogFields& add(std::string_view key, std::string_view value) noexcept;
  LogFields& add(std::string_view key, const char* value) noexcept { return add(key, std::string_view(value)); }
  LogFields& add(std::string_view key, int64_t value) noexcept;
  LogFields& add(std::string_view key, uint64_t value) noexcept;
  LogFields& add(std::string_view key, int value) noexcept { return add(key, static_cast<int64_t>(value)); }
  LogFields& add(std::string_view key, unsigned value) noexcept { return add(key, static_cast<uint64_t>(value)); }
  LogFields& add(std::string_view key, bool value) noexcept { return add(key, value ? "true" : "false"); }
  std::string_view view() const noexcept { return {buf_, len_}; }

  static constexpr std::size_t kCapacity = 400;

 private:
  char buf_[kCapacity];
  std::size_t len_ = 0;
  bool full_ = false;
};

class EventLog {
 public:
  // Lines go to `out` (stderr by default; not closed here).
  explicit EventLog(LogLevel min_level = LogLevel::Info, std::FILE* out = stderr);

  bool enabled(LogLevel l) const noexcept { return l >= min_; }

  // Off the hot path, any thread: writes the line now.
  void write(LogLevel level, std::string_view event, const LogFields& fields) noexcept;

  // One hot-path thread per producer (the feed thread: Feed): queues the line for drain(). Never
  // blocks.
  void post(LogLevel level, std::string_view event, const LogFields& fields,
            LogProducer producer = LogProducer::Feed) noexcept;
  // The monitor thread (one consumer): writes what post() queued, producer by producer.
  void drain() noexcept;
  uint64_t dropped() const noexcept { return dropped_.load(std::memory_order_relaxed); }
  uint64_t lines() const noexcept { return lines_.load(std::memory_order_relaxed); }

 private:
  struct Record {
    int64_t ts_ns;
    LogLevel level;
    uint8_t event_len;
    char event[38];
    LogFields fields;
  };
  void emit(int64_t ts_ns, LogLevel level, std::string_view event, std::string_view fields) noexcept;

  const LogLevel min_;
  std::FILE* out_;
  std::mutex mu_;  // write() and drain() from different threads share the output
  std::unique_ptr<SpscRing<Record, 256>> rings_[kLogProducers];
  std::atomic<uint64_t> dropped_{0};
  std::atomic<uint64_t> lines_{0};
};

}  // namespace tp
