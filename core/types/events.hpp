// Normalized market events (SPEC §2): what the feed thread hands the strategy thread.
//
// One event is exactly one cache line so a ring slot never straddles two lines and the
// producer and consumer never share a line while working on different slots.
#pragma once

#include <cstdint>
#include <cstring>
#include <type_traits>

#include "core/types/decimal.hpp"
#include "core/types/symbol_table.hpp"

namespace tp {

enum class Side : uint8_t { Buy = 0, Sell = 1 };
constexpr Side opposite(Side s) noexcept { return s == Side::Buy ? Side::Sell : Side::Buy; }
constexpr const char* side_name(Side s) noexcept { return s == Side::Buy ? "buy" : "sell"; }

// Clock: a valid message for a configured symbol that moves only the engine clock (a Binance
// depthUpdate before an order book exists, SPEC §9.5 and §9.14). Its symbol_id may be kNoSymbol.
// BookLevel: one level of a symbol's order book changed (docs/order-book.md); the strategy passes it
// to the simulated venue's replica of the book and otherwise ignores it: it moves neither the clock
// nor a mark (the BookTop or Clock event of the same venue message, which follows it, does).
enum class EventKind : uint8_t { BookTop = 0, Trade = 1, Clock = 2, BookLevel = 3 };

struct BookTop {
  Fixed bid_px;
  Fixed bid_qty;
  Fixed ask_px;
  Fixed ask_qty;
  uint64_t venue_seq;  // Binance "u" (order book update id); Coinbase "sequence"
};

struct Trade {
  Fixed px;
  Fixed qty;
  uint64_t trade_id;
  Side aggressor;  // side of the taker: Binance m=true means the buyer was the maker -> Sell
};

// BookLevel flags.
inline constexpr uint8_t kBookLevelClear = 1;  // empty the book first (a reload, or the book was lost); px/qty unused
inline constexpr uint8_t kBookLost = 2;        // with Clear: the feed's book is invalid (a gap or a crossed book)
                                               // until its next BookTop: the symbol is stale (SPEC §10.5)

struct BookLevel {
  Fixed px;
  Fixed qty;           // 0: the level is gone
  uint64_t update_id;  // the venue update that set it (Binance "u")
  Side side;           // Buy: a bid level; Sell: an ask level
  uint8_t flags;
};

struct alignas(64) MarketEvent {
  int64_t exch_ts_ns;  // venue event time (SPEC §9.1); bookTicker: the receive time
  int64_t recv_ts_ns;  // capture/receive time of the packet that completed the message
  union {
    BookTop book;
    Trade trade;
    BookLevel level;
  };
  SymbolId symbol_id;
  EventKind kind;
  // Owned by SpscRing (its per-slot turn, kept in what was tail padding so a ring slot stays one
  // cache line). Producers need not set it; an event popped with try_pop reads 0 here.
  uint8_t ring_turn;
  // Latency stamp t0 (bytes available; core/timing/pipeline_latency.hpp): 0 = not measured.
  uint32_t tsc_bytes;
};

static_assert(sizeof(MarketEvent) == 64, "a market event is one cache line");
static_assert(std::is_trivially_copyable_v<MarketEvent>);

// The normalizers fill an event in place on the hot path. Field by field after a clear: returning
// a MarketEvent by value, or assigning a whole BookTop, makes GCC emit `rep movs` block copies.
inline void set_book_top(MarketEvent& e, SymbolId sym, const BookTop& b, int64_t exch_ts, int64_t recv_ts) noexcept {
  std::memset(static_cast<void*>(&e), 0, sizeof e);
  e.exch_ts_ns = exch_ts;
  e.recv_ts_ns = recv_ts;
  e.book.bid_px = b.bid_px;
  e.book.bid_qty = b.bid_qty;
  e.book.ask_px = b.ask_px;
  e.book.ask_qty = b.ask_qty;
  e.book.venue_seq = b.venue_seq;
  e.symbol_id = sym;
  e.kind = EventKind::BookTop;
}

inline void set_trade(MarketEvent& e, SymbolId sym, const Trade& t, int64_t exch_ts, int64_t recv_ts) noexcept {
  std::memset(static_cast<void*>(&e), 0, sizeof e);
  e.exch_ts_ns = exch_ts;
  e.recv_ts_ns = recv_ts;
  e.trade.px = t.px;
  e.trade.qty = t.qty;
  e.trade.trade_id = t.trade_id;
  e.trade.aggressor = t.aggressor;
  e.symbol_id = sym;
  e.kind = EventKind::Trade;
}

inline MarketEvent make_book_top(SymbolId sym, const BookTop& b, int64_t exch_ts, int64_t recv_ts) noexcept {
  MarketEvent e;
  set_book_top(e, sym, b, exch_ts, recv_ts);
  return e;
}

inline MarketEvent make_trade(SymbolId sym, const Trade& t, int64_t exch_ts, int64_t recv_ts) noexcept {
  MarketEvent e;
  set_trade(e, sym, t, exch_ts, recv_ts);
  return e;
}

inline void set_book_level(MarketEvent& e, SymbolId sym, const BookLevel& l, int64_t exch_ts, int64_t recv_ts) noexcept {
  std::memset(static_cast<void*>(&e), 0, sizeof e);
  e.exch_ts_ns = exch_ts;
  e.recv_ts_ns = recv_ts;
  e.level.px = l.px;
  e.level.qty = l.qty;
  e.level.update_id = l.update_id;
  e.level.side = l.side;
  e.level.flags = l.flags;
  e.symbol_id = sym;
  e.kind = EventKind::BookLevel;
}

inline MarketEvent make_clock(SymbolId sym, int64_t exch_ts, int64_t recv_ts) noexcept {
  MarketEvent e{};
  e.exch_ts_ns = exch_ts;
  e.recv_ts_ns = recv_ts;
  e.symbol_id = sym;
  e.kind = EventKind::Clock;
  return e;
}

}  // namespace tp
