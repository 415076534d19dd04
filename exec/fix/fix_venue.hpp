// FixVenue: orders to a FIX 4.4 acceptor (SPEC §11.2-3), the venue of OrderGateway<FixVenue> on the
// gateway thread. It turns the gateway's orders and cancels into NewOrderSingle and
// OrderCancelRequest on the FixSession, and the acceptor's answers into the gateway's ExecReports:
//
//   ExecutionReport 150=F (Trade)            Fill: LastQty at LastPx, fee = Commission (CommType 3
//                                            or absent) else LastQty x LastPx x taker_fee_bps
//   150=4 Canceled, C Expired, 3 DoneForDay  Cancel (qty = what filled before), last
//   150=8 Rejected                           Reject (venue), or Cancel when part had filled
//   150=I OrderStatus                        what the status shows that was not reported yet
//   Reject (35=3) / BusinessMessageReject    Reject of the order it refers to (RefSeqNum)
//   to a NewOrderSingle
//
// A fill is applied once: a Trade whose ExecID was applied already, or whose CumQty is not above
// what was applied, is a duplicate (PossDup resends, the seq_too_low replay); a report for an order
// no longer held (finished) or of another incarnation (ClOrdID prefix) is counted, never applied.
//
// ClOrdID = "<incarnation>-<client_order_id>", the incarnation being the store's (a process start,
// in microseconds): unique across restarts. A cancel's ClOrdID is "<ClOrdID>-c<k>".
//
// After every logon that follows a disconnect, each order still held (its state unknown: its
// messages may have been gap-filled, its reports may be lost) is asked for with an
// OrderStatusRequest; an order the acceptor does not know ("unknown order": the NewOrderSingle
// never arrived) is rejected; a cancel that was wanted is sent again. While the session is not
// logged on, orders are rejected at once (RejectReason::Venue) and cancels wait for the logon.
//
// Shutdown (the gateway's end of data): open orders get their final reports (cancels were sent by
// the strategy) for up to `shutdown_wait_ms`, then the session logs out.
//
// Single-threaded (the gateway thread). Orders live in a fixed table indexed by client_order_id
// (open addressing), sized at construction: no allocation per order.
#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/config/config.hpp"
#include "core/telemetry/event_log.hpp"
#include "core/timing/wall_clock.hpp"
#include "core/types/counters.hpp"
#include "core/types/orders.hpp"
#include "exec/fix/fix_session.hpp"
#include "exec/fix/fix_store.hpp"

namespace tp::fix {

struct FixVenueStats {
  Counter orders_sent = 0;          // NewOrderSingle
  Counter cancels_sent = 0;         // OrderCancelRequest
  Counter status_requests_sent = 0; // OrderStatusRequest
  Counter rejected_not_logged_on = 0;  // orders refused at once: the session was down
  Counter exec_reports = 0;         // ExecutionReports read
  Counter fills = 0;                // Trade reports applied
  Counter duplicate_reports = 0;    // Trade reports recognised as already applied
  Counter unknown_order_reports = 0;   // for an order no longer held (finished) or never ours
  Counter other_incarnation_reports = 0;  // for an order of an earlier process
  Counter cancel_rejects = 0;       // OrderCancelReject
  Counter business_rejects = 0;     // BusinessMessageReject
  Counter bad_reports = 0;          // an ExecutionReport without what it needs (counted, ignored)
  Counter commission_fallbacks = 0; // a Commission of a CommType other than 3: taker_fee_bps used
  Counter fills_from_status = 0;    // quantity only an OrderStatus report showed (at its AvgPx)
};

class FixVenue {
 public:
  enum class CancelResult : uint8_t { Cancelled, Scheduled, Unknown };

  // Opens the store (throws std::runtime_error: not writable, locked) and resolves the host.
  FixVenue(const FixConfig& fix, std::vector<std::string> symbol_names, Fixed taker_fee_bps, std::size_t max_orders,
           EventLog* log = nullptr);

  template <typename Emit>
  void submit(const OrderRequest& o, Emit&& emit) noexcept {
    if (!session_.logged_on() || shutting_down_) {
      ++stats_.rejected_not_logged_on;
      emit(report(o.client_order_id, o.symbol_id, o.side, ExecKind::Reject, 0, 0, 0));
      return;
    }
    Order* slot = insert(o.client_order_id);
    if (slot == nullptr || o.symbol_id >= symbols_.size()) {
      emit(report(o.client_order_id, o.symbol_id, o.side, ExecKind::Reject, 0, 0, 0));
      return;
    }
    slot->symbol_id = o.symbol_id;
    slot->side = o.side;
    slot->type = o.type;
    slot->qty = o.qty;
    char id[kMaxClOrdId];
    const std::string_view clordid = format_clordid(o.client_order_id, id);
    slot->sent_seq = session_.next_sender_seq();
    const bool sent = session_.send_app([&](FixEncoder& e, uint64_t seq, int64_t now) noexcept {
      return e.new_order_single(seq, now, clordid, symbols_[o.symbol_id], o.side, o.type, o.qty, o.price);
    });
    if (!sent) {
      erase(o.client_order_id);
      ++stats_.rejected_not_logged_on;
      emit(report(o.client_order_id, o.symbol_id, o.side, ExecKind::Reject, 0, 0, 0));
      return;
    }
    ++stats_.orders_sent;
  }

  template <typename Emit>
  CancelResult cancel(const CancelRequest& c, Emit&&) noexcept {
    Order* o = find(c.client_order_id);
    if (o == nullptr) return CancelResult::Unknown;
    o->cancel_wanted = true;
    send_cancel(*o);  // not logged on: sent after the next logon
    return CancelResult::Scheduled;
  }

  // The market does not move this venue: its own acceptor decides.
  template <typename Emit>
  void on_book_top(const BookTopUpdate&, Emit&&) noexcept {}

  // The session's I/O and timers; every report that results goes to `emit`.
  template <typename Emit>
  bool poll(Emit&& emit) noexcept {
    App<std::remove_reference_t<Emit>> app{*this, emit};
    const bool progress = session_.poll(app);
    if (shutting_down_ && !session_.stopped() && !logout_sent_ &&
        (count_ == 0 || !session_.logged_on() || monotonic_ns() >= shutdown_deadline_ns_)) {
      logout_sent_ = true;
      session_.logout("tickpipe shutdown");
    }
    return progress;
  }

  // The gateway's end of data: wait for open orders (up to shutdown_wait_ms), then log out.
  void begin_shutdown() noexcept;
  bool shutdown_complete() const noexcept { return session_.stopped(); }

  std::size_t open_orders() const noexcept { return count_; }
  const FixVenueStats& stats() const noexcept { return stats_; }
  const FixSession& session() const noexcept { return session_; }
  const FixStore& store() const noexcept { return store_; }

 private:
  static constexpr std::size_t kMaxClOrdId = 64;
  static constexpr uint64_t kFree = 0;  // client_order_ids start at 1

  struct Order {
    uint64_t coid = kFree;
    uint64_t sent_seq = 0;     // MsgSeqNum of its NewOrderSingle
    uint64_t cancel_seq = 0;   // ... of its last OrderCancelRequest
    uint64_t status_seq = 0;   // ... of its last OrderStatusRequest
    uint64_t last_exec = 0;    // hash of the last applied Trade's ExecID
    Fixed qty = 0;
    Fixed filled = 0;          // applied so far (CumQty as far as we know)
    Fixed filled_notional = 0; // sum of qty x price of the applied fills, rounded per fill
    SymbolId symbol_id = 0;
    Side side = Side::Buy;
    OrderType type = OrderType::Market;
    uint8_t cancels = 0;       // OrderCancelRequests sent (names the next one's ClOrdID)
    bool cancel_wanted = false;
    bool cancel_sent = false;  // on this logon
    bool status_asked = false; // an OrderStatusRequest on this logon awaits its answer
  };

  // The session's view of this venue, for one poll.
  template <typename Emit>
  struct App {
    FixVenue& v;
    Emit& emit;
    void on_logged_on() noexcept { v.on_logged_on(); }
    void on_disconnected() noexcept { v.on_disconnected(); }
    void on_resend_requested(uint64_t begin) noexcept { v.on_resend_requested(begin); }
    void on_app_message(const FixMessage& m) noexcept {
      ExecReport r[2];
      const int n = v.on_app_message(m, r);
      for (int i = 0; i < n; ++i) emit(r[i]);
    }
    void on_session_reject(const FixMessage& m) noexcept {
      ExecReport r;
      if (v.on_reject(m, r)) emit(r);
    }
  };

  // Non-template handling (fix_venue.cpp). on_app_message fills up to 2 reports (a fill an
  // OrderStatus revealed, then the order's end) and returns how many.
  int on_app_message(const FixMessage& m, ExecReport* out) noexcept;
  bool on_reject(const FixMessage& m, ExecReport& out) noexcept;  // 3 or j for an order
  int on_execution_report(const FixMessage& m, ExecReport* out) noexcept;
  void on_logged_on() noexcept;
  void on_disconnected() noexcept;
  void on_resend_requested(uint64_t begin) noexcept;
  void send_cancel(Order& o) noexcept;
  void send_status_request(Order& o) noexcept;  // once per logon until answered
  // The order a ClOrdID names (ours, this incarnation, held); counts the misses.
  Order* order_of(std::string_view clordid) noexcept;

  std::string_view format_clordid(uint64_t coid, char* out) const noexcept;
  ExecReport report(uint64_t coid, SymbolId sym, Side side, ExecKind kind, Fixed qty, Fixed px, Fixed fee,
                    bool last = true) const noexcept;

  Order* insert(uint64_t coid) noexcept;
  Order* find(uint64_t coid) noexcept;
  void erase(uint64_t coid) noexcept;
  std::size_t home(uint64_t coid) const noexcept {
    return static_cast<std::size_t>((coid * 0x9E3779B97F4A7C15ull) >> 32) & mask_;
  }

  std::vector<std::string> symbols_;
  Fixed taker_fee_bps_;
  int64_t shutdown_wait_ms_;
  EventLog* log_;
  FixStore store_;
  FixSession session_;
  std::string incarnation_;  // "<incarnation>-"
  std::vector<Order> table_;  // open addressing, linear probing, backward-shift deletion
  std::size_t mask_ = 0;
  std::size_t count_ = 0;
  std::size_t max_orders_;
  bool shutting_down_ = false;
  bool logout_sent_ = false;
  bool was_disconnected_ = false;  // a logon after this asks for the state of every order held
  int64_t shutdown_deadline_ns_ = 0;
  FixVenueStats stats_;
};

}  // namespace tp::fix
