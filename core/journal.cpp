#include "core/journal.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

namespace tp {
namespace {

// Tiny append-only formatter over a caller buffer; every journal line is well under
// kMaxJournalLine (fixed keys, <= 21-char decimals, <= 20-digit integers, symbol names are short
// and escaped below).
struct Out {
  char* p;
  void raw(const char* s) noexcept {
    while (*s) *p++ = *s++;
  }
  // `{"event":"<event>","ts":<ts>`: how every line starts.
  void begin(const char* event, int64_t ts) noexcept {
    raw("{\"event\":");
    str(event);
    raw(",\"ts\":");
    i64(ts);
  }
  // `,"<k>":` before each further field.
  void key(const char* k) noexcept {
    raw(",\"");
    raw(k);
    raw("\":");
  }
  void i64(int64_t v) noexcept { p += std::snprintf(p, 24, "%lld", static_cast<long long>(v)); }
  void u64(uint64_t v) noexcept { p += std::snprintf(p, 24, "%llu", static_cast<unsigned long long>(v)); }
  void dec(Fixed v) noexcept {
    *p++ = '"';
    p += format_fixed(v, p);
    *p++ = '"';
  }
  void str(const char* s) noexcept {
    *p++ = '"';
    raw(s);
    *p++ = '"';
  }
  // Symbol names come from the configuration; escape what JSON requires and cap the length.
  void name(const std::string& s) noexcept {
    *p++ = '"';
    std::size_t n = 0;
    for (const char c : s) {
      if (++n > 64) break;
      if (c == '"' || c == '\\') {
        *p++ = '\\';
        *p++ = c;
      } else if (static_cast<unsigned char>(c) < 0x20) {
        p += std::snprintf(p, 7, "\\u%04x", static_cast<unsigned>(c));
      } else {
        *p++ = c;
      }
    }
    *p++ = '"';
  }
};

}  // namespace

std::size_t format_journal_line(const JournalRecord& r, const SymbolTable& symbols, char* buf) noexcept {
  Out o{buf};
  // The fields an order and its fills both name, in this order.
  auto what = [&] {
    o.key("symbol");
    o.name(symbols.name(r.symbol_id));
    o.key("side");
    o.str(side_name(r.side));
    o.key("qty");
    o.dec(r.qty);
  };
  switch (r.kind) {
    case JournalKind::Order:
      o.begin("order", r.ts_ns);
      what();
      o.key("order_type");
      o.str(order_type_name(r.order_type));
      if (r.order_type == OrderType::Limit) {
        o.key("price");
        o.dec(r.price);
      }
      o.key("reason");
      o.str(order_reason_name(r.order_reason));
      if (r.level != 0) {
        o.key("level");
        o.u64(r.level);
      }
      o.key("client_order_id");
      o.u64(r.client_order_id);
      break;
    case JournalKind::Fill:
      o.begin("fill", r.ts_ns);
      o.key("client_order_id");
      o.u64(r.client_order_id);
      what();
      o.key("price");
      o.dec(r.price);
      o.key("fee");
      o.dec(r.fee);
      break;
    case JournalKind::Reject:
      o.begin("reject", r.ts_ns);
      o.key("client_order_id");
      o.u64(r.client_order_id);
      o.key("reason");
      o.str(reject_reason_name(r.reject_reason));
      break;
    case JournalKind::State:
      o.begin("state", r.ts_ns);
      o.key("from");
      o.str(trading_state_name(r.from_state));
      o.key("to");
      o.str(trading_state_name(r.to_state));
      o.key("reason");
      o.str(state_reason_name(r.state_reason));
      break;
    case JournalKind::Cancel:
      o.begin("cancel", r.ts_ns);
      o.key("client_order_id");
      o.u64(r.client_order_id);
      o.key("filled_qty");
      o.dec(r.qty);
      break;
    case JournalKind::Checkpoint:
      o.begin("checkpoint", r.ts_ns);
      o.key("events");
      o.u64(r.client_order_id);
      break;
    case JournalKind::Day:
      o.begin("day", r.ts_ns);
      o.key("day_pnl");
      o.dec(r.pnl);
      break;
  }
  o.raw("}\n");
  return static_cast<std::size_t>(o.p - buf);
}

JournalResume prepare_resume(const std::string& path) {
  JournalResume out;
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) {
    if (errno == ENOENT) return out;
    throw std::runtime_error("cannot open journal '" + path + "' to resume: " + std::strerror(errno));
  }
  std::string text;
  char buf[1 << 16];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) text.append(buf, n);
  const bool failed = std::ferror(f) != 0;
  std::fclose(f);
  if (failed) throw std::runtime_error("cannot read journal '" + path + "'");

  static constexpr std::string_view kCheckpoint = "{\"event\":\"checkpoint\",";
  std::vector<std::string> lines;
  std::size_t keep_bytes = 0;  // file length up to the end of the last checkpoint line
  std::size_t keep_lines = 0;
  for (std::size_t pos = 0; pos < text.size();) {
    const std::size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) break;  // a torn last line: never part of the prefix
    lines.emplace_back(text, pos, nl - pos);
    pos = nl + 1;
    if (std::string_view(lines.back()).substr(0, kCheckpoint.size()) == kCheckpoint) {
      keep_bytes = pos;
      keep_lines = lines.size();
      const std::size_t k = lines.back().find("\"events\":");
      out.checkpoint_events = k == std::string::npos ? 0 : std::strtoull(lines.back().c_str() + k + 9, nullptr, 10);
    }
  }
  lines.resize(keep_lines);
  out.lines = std::move(lines);
  if (::truncate(path.c_str(), static_cast<off_t>(keep_bytes)) != 0)
    throw std::runtime_error("cannot cut journal '" + path + "' at its last checkpoint: " + std::strerror(errno));
  return out;
}

JournalWriter::JournalWriter(const std::string& path, const SymbolTable& symbols, FsyncPolicy fsync,
                             JournalResume resume)
    : path_(path), symbols_(symbols), fsync_(fsync), resume_(std::move(resume)) {
  file_ = std::fopen(path.c_str(), resume_.lines.empty() ? "wb" : "ab");
  if (file_ == nullptr) throw std::runtime_error("cannot open journal '" + path + "': " + std::strerror(errno));
  // Our own buffer: glibc would ignore the size of a null buffer and allocate its default (4 KiB).
  buffer_ = std::make_unique<char[]>(kBufferBytes);
  std::setvbuf(file_, buffer_.get(), _IOFBF, kBufferBytes);
}

JournalWriter::~JournalWriter() {
  if (file_ != nullptr) std::fclose(file_);
}

void JournalWriter::fail(std::string message, bool mismatch) noexcept {
  if (!error_.empty()) return;
  try {
    error_ = std::move(message);
  } catch (...) {
    error_ = "journal failure";
  }
  mismatch_ = mismatch;
}

void JournalWriter::throw_if_failed() const {
  if (error_.empty()) return;
  if (mismatch_) throw JournalMismatch(error_);
  throw std::runtime_error(error_);
}

void JournalWriter::write(const JournalRecord& r) noexcept {
  if (failed()) return;
  char buf[kMaxJournalLine];
  const std::size_t n = format_journal_line(r, symbols_, buf);
  ++records_;
  if (verified_ < resume_.lines.size()) {
    // Catching up after --resume: the line is already in the file and must be the same.
    const std::string_view line(buf, n - 1);
    if (line != resume_.lines[verified_]) {
      fail("journal '" + path_ + "' line " + std::to_string(verified_ + 1) +
               " does not match this run: the journal has\n  " + resume_.lines[verified_] +
               "\nbut the replay produced\n  " + std::string(line) +
               "\n(was it written with another capture or configuration?)",
           true);
      return;
    }
    ++verified_;
    return;
  }
  if (std::fwrite(buf, 1, n, file_) != n) {
    fail("cannot write journal '" + path_ + "': " + std::strerror(errno), false);
    return;
  }
  if (r.kind == JournalKind::Checkpoint) {
    flush();
    if (fsync_ == FsyncPolicy::Checkpoint) sync();
  }
}

void JournalWriter::flush() noexcept {
  if (failed()) return;
  if (std::fflush(file_) != 0) {
    fail("cannot flush journal '" + path_ + "': " + std::strerror(errno), false);
    return;
  }
  if (fsync_ == FsyncPolicy::EveryBatch) sync();
}

void JournalWriter::sync() noexcept {
  if (::fsync(fileno(file_)) != 0) fail("cannot fsync journal '" + path_ + "': " + std::strerror(errno), false);
}

}  // namespace tp
