// DepthUpdate: one venue depth message (a diff or a full snapshot) as parsed levels, the input of a
// book sync (feed/book/binance_book_sync.hpp). The levels point into the normalizer's buffer and
// stay valid until its next message.
#pragma once

#include <cstdint>
#include <span>

#include "core/book/order_book.hpp"
#include "core/types/symbol_table.hpp"

namespace tp::feed {

struct DepthUpdate {
  std::span<const PriceLevel> bids;  // absolute quantities; qty 0 removes the level (diffs only)
  std::span<const PriceLevel> asks;
  uint64_t first_id = 0;      // Binance diff "U"; a snapshot: its lastUpdateId
  uint64_t last_id = 0;       // Binance diff "u"; a snapshot: its lastUpdateId
  uint64_t prev_last_id = 0;  // Binance futures diff "pu" (the previous diff's "u"), when has_prev_last_id
  int64_t exch_ts_ns = 0;     // diff "E"; a snapshot: its "E" when present (futures), else the receive time
  int64_t recv_ts_ns = 0;
  SymbolId symbol = kNoSymbol;  // a Binance REST snapshot names no symbol: the caller knows it
  bool snapshot = false;
  bool has_prev_last_id = false;
};

}  // namespace tp::feed
