// What a book level is and what one update did to a book: shared by OrderBook and the BlockedBook
// it keeps its far levels in.
#pragma once

#include <cstdint>

#include "core/types/decimal.hpp"
#include "core/types/events.hpp"

namespace tp {

struct PriceLevel {
  Fixed px;
  Fixed qty;
  friend bool operator==(const PriceLevel&, const PriceLevel&) = default;
};

// What one apply() did. The last two mean the side was full (the capacity rule: order_book.hpp).
enum class LevelChange : uint8_t {
  Inserted,          // a new price level
  Changed,           // an existing level got a new quantity
  Removed,           // qty 0 removed an existing level
  RemovedAbsent,     // qty 0 for a level not in the book: nothing to do (Binance documents it as normal)
  InsertedEvicting,  // inserted; the worst level of the full side was evicted to make room
  DroppedFull,       // not inserted: the side is full and this level is worse than all of them
};

}  // namespace tp
