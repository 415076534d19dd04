#include "core/telemetry/event_log.hpp"

#include <time.h>

#include <algorithm>
#include <cinttypes>
#include <cstring>

#include "core/timing/wall_clock.hpp"

namespace tp {

const char* log_level_name(LogLevel l) noexcept {
  switch (l) {
    case LogLevel::Debug: return "debug";
    case LogLevel::Info: return "info";
    case LogLevel::Warn: return "warn";
    case LogLevel::Error: return "error";
  }
  return "info";
}

bool parse_log_level(std::string_view text, LogLevel& out) noexcept {
  for (const LogLevel l : {LogLevel::Debug, LogLevel::Info, LogLevel::Warn, LogLevel::Error}) {
    if (text == log_level_name(l)) {
      out = l;
      return true;
    }
  }
  return false;
}

namespace {

// A logfmt value needs quotes when it is empty or holds a space, '=', '"' or a control byte.
bool needs_quotes(std::string_view v) noexcept {
  if (v.empty()) return true;
  for (const char c : v) {
    const auto b = static_cast<unsigned char>(c);
    if (b <= 0x20 || c == '=' || c == '"' || b == 0x7f) return true;
  }
  return false;
}

}  // namespace

LogFields& LogFields::add(std::string_view key, std::string_view value) noexcept {
  if (full_) return *this;
  char tmp[kCapacity];
  std::size_t n = 0;
  auto put = [&](char c) {
    if (n < sizeof tmp) tmp[n++] = c;
  };
  if (len_ != 0) put(' ');
  for (const char c : key) put(c);
  put('=');
  if (!needs_quotes(value)) {
    for (const char c : value) put(c);
  } else {
    static constexpr char kHex[] = "0123456789abcdef";
    put('"');
    for (const char c : value) {
      const auto b = static_cast<unsigned char>(c);
      if (c == '"' || c == '\\') {
        put('\\');
        put(c);
      } else if (c == '\n') {
        put('\\');
        put('n');
      } else if (b < 0x20 || b == 0x7f) {
        put('\\');
        put('x');
        put(kHex[b >> 4]);
        put(kHex[b & 0xf]);
      } else {
        put(c);
      }
    }
    put('"');
  }
  static constexpr std::string_view kCut = " truncated=true";
  if (len_ + n > kCapacity - kCut.size()) {
    std::memcpy(buf_ + len_, kCut.data(), kCut.size());
    len_ += kCut.size();
    full_ = true;
    return *this;
  }
  std::memcpy(buf_ + len_, tmp, n);
  len_ += n;
  return *this;
}

LogFields& LogFields::add(std::string_view key, int64_t value) noexcept {
  char num[24];
  const int n = std::snprintf(num, sizeof num, "%" PRId64, value);
  return add(key, std::string_view(num, static_cast<std::size_t>(n)));
}

LogFields& LogFields::add(std::string_view key, uint64_t value) noexcept {
  char num[24];
  const int n = std::snprintf(num, sizeof num, "%" PRIu64, value);
  return add(key, std::string_view(num, static_cast<std::size_t>(n)));
}

EventLog::EventLog(LogLevel min_level, std::FILE* out)
    : min_(min_level), out_(out) {
  for (auto& r : rings_) r = std::make_unique<SpscRing<Record, 256>>();
}

void EventLog::emit(int64_t ts_ns, LogLevel level, std::string_view event, std::string_view fields) noexcept {
  const time_t secs = static_cast<time_t>(ts_ns / 1'000'000'000);
  tm t{};
  gmtime_r(&secs, &t);
  char stamp[80];
  std::snprintf(stamp, sizeof stamp, "%04d-%02d-%02dT%02d:%02d:%02d.%09" PRId64 "Z", t.tm_year + 1900, t.tm_mon + 1,
                t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec, ts_ns % 1'000'000'000);
  const std::lock_guard<std::mutex> lock(mu_);
  std::fprintf(out_, "ts=%s level=%s event=%.*s%s%.*s\n", stamp, log_level_name(level), static_cast<int>(event.size()),
               event.data(), fields.empty() ? "" : " ", static_cast<int>(fields.size()), fields.data());
  std::fflush(out_);
  lines_.fetch_add(1, std::memory_order_relaxed);
}

void EventLog::write(LogLevel level, std::string_view event, const LogFields& fields) noexcept {
  if (!enabled(level)) return;
  emit(realtime_ns(), level, event, fields.view());
}

void EventLog::post(LogLevel level, std::string_view event, const LogFields& fields, LogProducer producer) noexcept {
  if (!enabled(level)) return;
  Record r;
  r.ts_ns = realtime_ns();
  r.level = level;
  r.event_len = static_cast<uint8_t>(std::min(event.size(), sizeof r.event));
  std::memcpy(r.event, event.data(), r.event_len);
  r.fields = fields;
  if (!rings_[static_cast<std::size_t>(producer)]->try_push(r)) dropped_.fetch_add(1, std::memory_order_relaxed);
}

void EventLog::drain() noexcept {
  Record r;
  for (auto& ring : rings_)
    while (ring->try_pop(r)) emit(r.ts_ns, r.level, std::string_view(r.event, r.event_len), r.fields.view());
}

}  // namespace tp
