// Orders and execution reports: what the strategy thread and the gateway thread exchange.
//
// Plain structs of one cache line each (ring slots). Prices and quantities are Fixed (1e-8).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <type_traits>

#include "core/types/events.hpp"

namespace tp {

enum class OrderType : uint8_t { Market = 0, Limit = 1 };
constexpr const char* order_type_name(OrderType t) noexcept { return t == OrderType::Market ? "market" : "limit"; }

enum class OrderReason : uint8_t {
  ProfitTake = 0,
  LossLimit = 1,
  Operator = 2,
  KillSwitch = 3,  // flatten requested with the kill switch
  StopLoss = 4,
  TrailingStop = 5,
  Entry = 6,       // the entry rule opening or adding to a position
};
constexpr const char* order_reason_name(OrderReason r) noexcept {
  switch (r) {
    case OrderReason::ProfitTake: return "profit_take";
    case OrderReason::LossLimit: return "loss_limit";
    case OrderReason::Operator: return "operator";
    case OrderReason::KillSwitch: return "kill_switch";
    case OrderReason::StopLoss: return "stop_loss";
    case OrderReason::TrailingStop: return "trailing_stop";
    case OrderReason::Entry: return "entry";
  }
  return "unknown";
}

// SPEC §9.16 reject reasons, in the order the pre-trade check evaluates them.
enum class RejectReason : uint8_t {
  None = 0,
  State,
  MaxQty,
  MaxNotional,
  PriceBand,
  MaxOpenOrders,
  RateLimit,
  Duplicate,
  Venue,  // the venue itself refused the order
};
constexpr const char* reject_reason_name(RejectReason r) noexcept {
  switch (r) {
    case RejectReason::None: return "none";
    case RejectReason::State: return "state";
    case RejectReason::MaxQty: return "max_qty";
    case RejectReason::MaxNotional: return "max_notional";
    case RejectReason::PriceBand: return "price_band";
    case RejectReason::MaxOpenOrders: return "max_open_orders";
    case RejectReason::RateLimit: return "rate_limit";
    case RejectReason::Duplicate: return "duplicate";
    case RejectReason::Venue: return "venue";
  }
  return "unknown";
}
inline constexpr std::size_t kRejectReasonCount = static_cast<std::size_t>(RejectReason::Venue) + 1;
// reject_reason_name() by index, for counter sets (index = enum value; "none" is never counted).
inline constexpr std::array<std::string_view, kRejectReasonCount> kRejectReasonNames{
    "none", "state", "max_qty", "max_notional", "price_band", "max_open_orders", "rate_limit", "duplicate", "venue"};
static_assert(kRejectReasonNames[static_cast<std::size_t>(RejectReason::Duplicate)] ==
              std::string_view(reject_reason_name(RejectReason::Duplicate)));
static_assert(kRejectReasonNames[kRejectReasonCount - 1] == std::string_view(reject_reason_name(RejectReason::Venue)));

enum class TradingState : uint8_t { Active = 0, Reducing = 1, Halted = 2 };
constexpr const char* trading_state_name(TradingState s) noexcept {
  switch (s) {
    case TradingState::Active: return "ACTIVE";
    case TradingState::Reducing: return "REDUCING";
    case TradingState::Halted: return "HALTED";
  }
  return "UNKNOWN";
}

struct OrderRequest {
  uint64_t client_order_id;
  int64_t decision_ts_ns;  // engine clock at the decision (SPEC §9.1)
  Fixed qty;               // > 0
  Fixed price;             // limit price; 0 for market orders
  Fixed ref_px;            // the touch the order is expected to fill at (pre-trade notional check)
  SymbolId symbol_id;
  Side side;
  OrderType type;
  OrderReason reason;
  uint8_t level;           // profit-taking level, 1-based; 0 when not a profit take
  bool reduces;            // the order reduces |position| (allowed in REDUCING/HALTED)
  // Latency stamps (core/timing/pipeline_latency.hpp), 0 = not measured: t0 of the market event that
  // caused the order, and t3, when the strategy decided it.
  uint32_t tsc_origin;
  uint32_t tsc_decision;
};
static_assert(sizeof(OrderRequest) <= 56, "an order must fit a GatewayMsg next to its tag");
static_assert(std::is_trivially_copyable_v<OrderRequest>);

// The latest top of book of one symbol, forwarded by the strategy to a gateway whose venue needs
// market data (the simulated venue), in the same order the strategy saw it.
struct BookTopUpdate {
  int64_t engine_ts_ns;  // engine clock after this event (SPEC §9.1)
  int64_t exch_ts_ns;
  Fixed bid_px;
  Fixed bid_qty;
  Fixed ask_px;
  Fixed ask_qty;
  SymbolId symbol_id;
};

struct StateUpdate {
  int64_t ts_ns;
  TradingState state;
};

// Asks the venue to cancel an order it holds (resting, or not yet live under a latency). The
// venue answers with ExecKind::Cancel (last = true); a cancel that finds no open order (already
// filled, cancelled or rejected, or never accepted) produces no report: that order's own last
// report has been or will be sent. See docs/decisions.md "Simulated venue and pre-trade checks".
struct CancelRequest {
  uint64_t client_order_id;
  int64_t ts_ns;  // engine clock at the decision to cancel
};

// One order book level change or one trade, forwarded to a simulated venue that fills by walking
// the book ([sim] fill_model = "book"): the level events rebuild its replica of the book, the
// trades move its resting orders up their queues.
struct BookLevelUpdate {
  int64_t exch_ts_ns;
  Fixed px;
  Fixed qty;
  SymbolId symbol_id;
  Side side;
  uint8_t flags;  // kBookLevelClear, kBookLost (core/types/events.hpp)
};
struct TradeUpdate {
  int64_t engine_ts_ns;
  int64_t exch_ts_ns;
  Fixed px;
  Fixed qty;
  SymbolId symbol_id;
  Side aggressor;
};

enum class GatewayMsgKind : uint8_t {
  Order = 0,
  BookTop = 1,
  State = 2,
  EndOfData = 3,  // no more market data: answer with an ExecKind::EndOfData report once drained
  Cancel = 4,
  BookLevel = 5,
  Trade = 6,
};

// Ring B slot: strategy -> gateway.
struct alignas(64) GatewayMsg {
  GatewayMsgKind kind;
  uint8_t ring_turn;  // owned by SpscRing (one cache line per slot); never set by users
  union {
    OrderRequest order;
    BookTopUpdate book;
    StateUpdate state;
    CancelRequest cancel;
    BookLevelUpdate level;
    TradeUpdate trade;
  };
};
static_assert(sizeof(GatewayMsg) == 64);
static_assert(std::is_trivially_copyable_v<GatewayMsg>);

enum class ExecKind : uint8_t { Fill = 0, Reject = 1, Cancel = 2, EndOfData = 3 };

struct alignas(64) ExecReport {
  uint64_t client_order_id;
  int64_t ts_ns;   // engine clock when the venue acted (fill: the book top it filled against)
  Fixed qty;       // Fill: quantity of this fill; Cancel: quantity filled before the cancel
  Fixed price;     // fill price (Fill)
  Fixed fee;       // rounded half away from zero to 1e-8 (SPEC §9.8)
  SymbolId symbol_id;
  Side side;
  ExecKind kind;
  RejectReason reason;  // Reject only
  bool last;            // no further reports will follow for this order (a partial Fill: false)
  uint8_t ring_turn;    // owned by SpscRing (one cache line per slot); never set by users
};
static_assert(sizeof(ExecReport) == 64);
static_assert(std::is_trivially_copyable_v<ExecReport>);

}  // namespace tp
