#include "core/journal.hpp"

#include <cerrno>
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
  switch (r.kind) {
    case JournalKind::Order:
      o.raw("{\"event\":\"order\",\"ts\":");
      o.i64(r.ts_ns);
      o.raw(",\"symbol\":");
      o.name(symbols.name(r.symbol_id));
      o.raw(",\"side\":");
      o.str(side_name(r.side));
      o.raw(",\"qty\":");
      o.dec(r.qty);
      o.raw(",\"order_type\":");
      o.str(order_type_name(r.order_type));
      if (r.order_type == OrderType::Limit) {
        o.raw(",\"price\":");
        o.dec(r.price);
      }
      o.raw(",\"reason\":");
      o.str(order_reason_name(r.order_reason));
      if (r.level != 0) {
        o.raw(",\"level\":");
        o.u64(r.level);
      }
      o.raw(",\"client_order_id\":");
      o.u64(r.client_order_id);
      break;
    case JournalKind::Fill:
      o.raw("{\"event\":\"fill\",\"ts\":");
      o.i64(r.ts_ns);
      o.raw(",\"client_order_id\":");
      o.u64(r.client_order_id);
      o.raw(",\"symbol\":");
      o.name(symbols.name(r.symbol_id));
      o.raw(",\"side\":");
      o.str(side_name(r.side));
      o.raw(",\"qty\":");
      o.dec(r.qty);
      o.raw(",\"price\":");
      o.dec(r.price);
      o.raw(",\"fee\":");
      o.dec(r.fee);
      break;
    case JournalKind::Reject:
      o.raw("{\"event\":\"reject\",\"ts\":");
      o.i64(r.ts_ns);
      o.raw(",\"client_order_id\":");
      o.u64(r.client_order_id);
      o.raw(",\"reason\":");
      o.str(reject_reason_name(r.reject_reason));
      break;
    case JournalKind::State:
      o.raw("{\"event\":\"state\",\"ts\":");
      o.i64(r.ts_ns);
      o.raw(",\"from\":");
      o.str(trading_state_name(r.from_state));
      o.raw(",\"to\":");
      o.str(trading_state_name(r.to_state));
      o.raw(",\"reason\":");
      o.str(state_reason_name(r.state_reason));
      break;
    case JournalKind::Cancel:
      o.raw("{\"event\":\"cancel\",\"ts\":");
      o.i64(r.ts_ns);
      o.raw(",\"client_order_id\":");
      o.u64(r.client_order_id);
      o.raw(",\"filled_qty\":");
      o.dec(r.qty);
      break;
    case JournalKind::Day:
      o.raw("{\"event\":\"day\",\"ts\":");
      o.i64(r.ts_ns);
      o.raw(",\"day_pnl\":");
      o.dec(r.pnl);
      break;
  }
  o.raw("}\n");
  return static_cast<std::size_t>(o.p - buf);
}

JournalWriter::JournalWriter(const std::string& path, const SymbolTable& symbols) : path_(path), symbols_(symbols) {
  file_ = std::fopen(path.c_str(), "wb");
  if (file_ == nullptr) throw std::runtime_error("cannot open journal '" + path + "': " + std::strerror(errno));
  std::setvbuf(file_, nullptr, _IOFBF, 1 << 16);
}

JournalWriter::~JournalWriter() {
  if (file_ != nullptr) std::fclose(file_);
}

void JournalWriter::write(const JournalRecord& r) {
  char buf[kMaxJournalLine];
  const std::size_t n = format_journal_line(r, symbols_, buf);
  if (std::fwrite(buf, 1, n, file_) != n)
    throw std::runtime_error("cannot write journal '" + path_ + "': " + std::strerror(errno));
  ++records_;
}

void JournalWriter::flush() {
  if (std::fflush(file_) != 0)
    throw std::runtime_error("cannot flush journal '" + path_ + "': " + std::strerror(errno));
}

}  // namespace tp
