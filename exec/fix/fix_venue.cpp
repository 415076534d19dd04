#include "exec/fix/fix_venue.hpp"

#include <cstdlib>
#include <cstring>
#include <stdexcept>

#include "core/types/decimal.hpp"

namespace tp::fix {
namespace {

constexpr int kAvgPx = 6;  // AvgPx

FixSessionOptions session_options(const FixConfig& c) {
  FixSessionOptions o;
  o.host = c.host;
  o.port = c.port;
  o.sender_comp_id = c.sender_comp_id;
  o.target_comp_id = c.target_comp_id;
  o.heartbeat_s = c.heartbeat_s;
  o.reset_on_logon = c.reset_on_logon;
  o.username = c.username;
  if (!c.password_env.empty()) {
    if (const char* p = std::getenv(c.password_env.c_str())) o.password = p;
  }
  o.reconnect_min_ms = c.reconnect_min_ms;
  o.reconnect_max_ms = c.reconnect_max_ms;
  o.logon_timeout_ms = c.logon_timeout_ms;
  return o;
}

std::size_t table_size(std::size_t max_orders) {
  std::size_t n = 64;
  while (n < 2 * max_orders) n *= 2;
  return n;
}

// FNV-1a of an ExecID: the duplicate check compares these (a false match needs two ExecIDs of one
// order with the same 64-bit hash).
uint64_t exec_id_hash(std::string_view id) noexcept {
  uint64_t h = 0xcbf29ce484222325ull;
  for (const char c : id) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ull;
  }
  return h | 1;  // never 0 ("none applied yet")
}

bool is_final_status(char s) noexcept {
  return s == '2' || s == '3' || s == '4' || s == '8' || s == 'C';
}

}  // namespace

FixVenue::FixVenue(const FixConfig& fix, std::vector<std::string> symbol_names, Fixed taker_fee_bps,
                   std::size_t max_orders, EventLog* log)
    : symbols_(std::move(symbol_names)),
      taker_fee_bps_(taker_fee_bps),
      shutdown_wait_ms_(fix.shutdown_wait_ms),
      log_(log),
      store_(fix.store_dir, fix.sender_comp_id, fix.target_comp_id),
      session_(session_options(fix), store_, log),
      incarnation_(std::to_string(store_.incarnation()) + "-"),
      table_(table_size(max_orders)),
      mask_(table_.size() - 1),
      max_orders_(max_orders) {}

std::string_view FixVenue::format_clordid(uint64_t coid, char* out) const noexcept {
  std::memcpy(out, incarnation_.data(), incarnation_.size());
  char digits[20];
  std::size_t n = 0;
  do {
    digits[n++] = static_cast<char>('0' + coid % 10);
    coid /= 10;
  } while (coid != 0);
  std::size_t len = incarnation_.size();
  while (n > 0) out[len++] = digits[--n];
  return std::string_view(out, len);
}

ExecReport FixVenue::report(uint64_t coid, SymbolId sym, Side side, ExecKind kind, Fixed qty, Fixed px, Fixed fee,
                            bool last) const noexcept {
  ExecReport r{};
  r.client_order_id = coid;
  r.ts_ns = realtime_ns();
  r.qty = qty;
  r.price = px;
  r.fee = fee;
  r.symbol_id = sym;
  r.side = side;
  r.kind = kind;
  r.reason = kind == ExecKind::Reject ? RejectReason::Venue : RejectReason::None;
  r.last = last;
  return r;
}

FixVenue::Order* FixVenue::insert(uint64_t coid) noexcept {
  if (coid == kFree || count_ >= max_orders_ || count_ + 1 > table_.size() / 2) return nullptr;
  for (std::size_t i = home(coid);; i = (i + 1) & mask_) {
    Order& o = table_[i];
    if (o.coid == coid) return nullptr;  // already held: a duplicate id
    if (o.coid == kFree) {
      o = Order{};
      o.coid = coid;
      ++count_;
      return &o;
    }
  }
}

FixVenue::Order* FixVenue::find(uint64_t coid) noexcept {
  if (coid == kFree) return nullptr;
  for (std::size_t i = home(coid);; i = (i + 1) & mask_) {
    Order& o = table_[i];
    if (o.coid == coid) return &o;
    if (o.coid == kFree) return nullptr;
  }
}

void FixVenue::erase(uint64_t coid) noexcept {
  std::size_t i = home(coid);
  for (;; i = (i + 1) & mask_) {
    if (table_[i].coid == kFree) return;
    if (table_[i].coid == coid) break;
  }
  // Backward-shift deletion: later entries of the probe run move up so lookups stay correct.
  std::size_t hole = i;
  for (std::size_t j = (i + 1) & mask_; table_[j].coid != kFree; j = (j + 1) & mask_) {
    const std::size_t h = home(table_[j].coid);
    // Entry j may fill the hole when its home is not cyclically inside (hole, j].
    const bool stays = hole <= j ? (hole < h && h <= j) : (hole < h || h <= j);
    if (stays) continue;
    table_[hole] = table_[j];
    hole = j;
  }
  table_[hole] = Order{};
  --count_;
}

FixVenue::Order* FixVenue::order_of(std::string_view clordid) noexcept {
  if (clordid.size() <= incarnation_.size() || clordid.compare(0, incarnation_.size(), incarnation_) != 0) {
    ++stats_.other_incarnation_reports;
    return nullptr;
  }
  uint64_t coid = 0;
  std::size_t i = incarnation_.size();
  for (; i < clordid.size() && clordid[i] >= '0' && clordid[i] <= '9'; ++i)
    coid = coid * 10 + static_cast<uint64_t>(clordid[i] - '0');
  Order* o = find(coid);
  if (o == nullptr) ++stats_.unknown_order_reports;
  return o;
}

void FixVenue::send_cancel(Order& o) noexcept {
  if (o.cancel_sent || !session_.logged_on()) return;
  char orig[kMaxClOrdId];
  const std::string_view orig_id = format_clordid(o.coid, orig);
  char id[kMaxClOrdId + 8];
  std::memcpy(id, orig_id.data(), orig_id.size());
  const int n = std::snprintf(id + orig_id.size(), 8, "-c%u", static_cast<unsigned>(o.cancels + 1));
  const std::string_view cancel_id(id, orig_id.size() + static_cast<std::size_t>(n));
  const Fixed qty = o.qty;
  const Side side = o.side;
  const std::string& symbol = symbols_[o.symbol_id];
  const uint64_t seq_before = session_.next_sender_seq();
  if (session_.send_app([&](FixEncoder& e, uint64_t seq, int64_t now) noexcept {
        return e.order_cancel_request(seq, now, cancel_id, orig_id, symbol, side, qty);
      })) {
    o.cancel_seq = seq_before;
    ++o.cancels;
    o.cancel_sent = true;
    ++stats_.cancels_sent;
  }
}

void FixVenue::send_status_request(Order& o) noexcept {
  if (o.status_asked) return;
  char id[kMaxClOrdId];
  const std::string_view clordid = format_clordid(o.coid, id);
  const std::string& symbol = symbols_[o.symbol_id];
  const Side side = o.side;
  const uint64_t seq_before = session_.next_sender_seq();
  if (session_.send_app([&](FixEncoder& e, uint64_t seq, int64_t now) noexcept {
        return e.order_status_request(seq, now, clordid, symbol, side);
      })) {
    o.status_seq = seq_before;
    o.status_asked = true;
    ++stats_.status_requests_sent;
  }
}

void FixVenue::on_disconnected() noexcept {
  was_disconnected_ = true;
  for (Order& o : table_) {
    o.cancel_sent = false;  // a cancel in flight may be lost: sent again later
    o.status_asked = false;
  }
}

void FixVenue::on_logged_on() noexcept {
  if (!was_disconnected_) return;
  was_disconnected_ = false;
  // Every order held may have changed while we were away, or never arrived: ask.
  std::size_t asked = 0;
  for (Order& o : table_) {
    if (o.coid == kFree) continue;
    send_status_request(o);
    ++asked;
  }
  if (asked != 0 && log_ != nullptr) {
    LogFields f;
    log_->post(LogLevel::Info, "fix_order_status_requested", f.add("orders", static_cast<uint64_t>(asked)),
               LogProducer::Gateway);
  }
}

void FixVenue::on_resend_requested(uint64_t begin) noexcept {
  // What the acceptor asked for again was gap-filled: every message we sent from `begin` on is void
  // for it (one it had received and queued behind the gap is dropped by the gap fill too). Orders,
  // cancels and status requests among them did not happen: ask for the state of those orders again
  // (an order the acceptor does not know is rejected on the answer; a cancel still wanted is sent
  // again once the answer shows the order open).
  for (Order& o : table_) {
    if (o.coid == kFree) continue;
    const bool order_void = o.sent_seq >= begin;
    const bool cancel_void = o.cancel_sent && o.cancel_seq >= begin;
    const bool status_void = o.status_asked && o.status_seq >= begin;
    if (!order_void && !cancel_void && !status_void) continue;
    if (cancel_void) o.cancel_sent = false;
    o.status_asked = false;
    send_status_request(o);
  }
}

void FixVenue::begin_shutdown() noexcept {
  shutting_down_ = true;
  shutdown_deadline_ns_ = monotonic_ns() + shutdown_wait_ms_ * 1'000'000;
}

int FixVenue::on_app_message(const FixMessage& m, ExecReport* out) noexcept {
  const std::string_view type = m.msg_type();
  if (type == "8") return on_execution_report(m, out);
  if (type == "9") {
    ++stats_.cancel_rejects;  // the order's own reports say how it ended
    if (log_ != nullptr) {
      LogFields f;
      const auto text = m.get(tag::Text);
      log_->post(LogLevel::Info, "fix_cancel_rejected",
                 f.add("clordid", m.get(tag::OrigClOrdID).value_or("")).add("text", text.value_or("")),
                 LogProducer::Gateway);
    }
    return 0;
  }
  if (type == "j") {
    ++stats_.business_rejects;
    return on_reject(m, out[0]) ? 1 : 0;
  }
  return 0;  // other application messages (news, ...) are not for us
}

bool FixVenue::on_reject(const FixMessage& m, ExecReport& out) noexcept {
  // A session or business reject of one of our NewOrderSingles: that order is rejected.
  const auto ref = m.get_uint(tag::RefSeqNum);
  if (!ref) return false;
  for (Order& o : table_) {
    if (o.coid == kFree || o.sent_seq != *ref) continue;
    out = o.filled > 0 ? report(o.coid, o.symbol_id, o.side, ExecKind::Cancel, o.filled, 0, 0)
                       : report(o.coid, o.symbol_id, o.side, ExecKind::Reject, 0, 0, 0);
    erase(o.coid);
    return true;
  }
  return false;
}

int FixVenue::on_execution_report(const FixMessage& m, ExecReport* out) noexcept {
  ++stats_.exec_reports;
  const char exec_type = m.get_char(tag::ExecType);
  const char status = m.get_char(tag::OrdStatus);
  // A cancel's report names the order in OrigClOrdID; everything else in ClOrdID.
  const auto orig = m.get(tag::OrigClOrdID);
  const auto clordid = orig ? orig : m.get(tag::ClOrdID);
  if (!clordid) {
    ++stats_.bad_reports;
    return 0;
  }
  Order* o = order_of(*clordid);
  if (o == nullptr) {
    if (exec_type == 'F') ++stats_.duplicate_reports;  // a resent fill of a finished order
    return 0;
  }
  const auto cum = m.get_fixed(tag::CumQty);
  int n = 0;
  auto finish = [&](ExecKind kind) {
    out[n++] = kind == ExecKind::Reject ? report(o->coid, o->symbol_id, o->side, ExecKind::Reject, 0, 0, 0)
                                        : report(o->coid, o->symbol_id, o->side, ExecKind::Cancel, o->filled, 0, 0);
    erase(o->coid);
  };
  switch (exec_type) {
    case '0':  // New: acknowledged
    case 'A':  // PendingNew
    case '6':  // PendingCancel
    case 'E':  // PendingReplace
      return 0;
    case 'F':
    case '1':  // PartialFill / Fill (before FIX 4.3; some venues still send them)
    case '2': {
      const auto exec_id = m.get(tag::ExecID);
      const auto last_qty = m.get_fixed(tag::LastQty);
      const auto last_px = m.get_fixed(tag::LastPx);
      if (!exec_id || !last_qty || !last_px || *last_qty <= 0 || *last_px <= 0) {
        ++stats_.bad_reports;
        return 0;
      }
      const uint64_t h = exec_id_hash(*exec_id);
      if (h == o->last_exec || (cum && *cum <= o->filled)) {
        ++stats_.duplicate_reports;
        return 0;
      }
      const Fixed qty = *last_qty < o->qty - o->filled ? *last_qty : o->qty - o->filled;
      if (qty <= 0) {
        ++stats_.duplicate_reports;
        return 0;
      }
      Fixed fee = fee_from_bps(qty, *last_px, taker_fee_bps_);
      if (const auto commission = m.get_fixed(tag::Commission)) {
        const char comm_type = m.get_char(tag::CommType);
        if (comm_type == '3' || comm_type == '\0') fee = *commission;
        else ++stats_.commission_fallbacks;
      }
      o->last_exec = h;
      o->filled += qty;
      o->filled_notional += mul_round(qty, *last_px);
      ++stats_.fills;
      const bool done = status == '2' || o->filled >= o->qty || (is_final_status(status) && status != '1');
      out[n++] = report(o->coid, o->symbol_id, o->side, ExecKind::Fill, qty, *last_px, fee, done);
      if (done) erase(o->coid);
      return n;
    }
    case '4':  // Canceled
    case 'C':  // Expired
    case '3':  // DoneForDay
      finish(ExecKind::Cancel);
      return n;
    case '8':  // Rejected
      finish(o->filled > 0 ? ExecKind::Cancel : ExecKind::Reject);
      return n;
    case 'I': {  // OrderStatus: the answer to our request after a reconnect
      o->status_asked = false;
      // Quantity filled that no Trade report told us of: one fill at the price that makes the
      // order's average what the acceptor says (AvgPx), as near as 1e-8 allows.
      if (cum && *cum > o->filled && *cum <= o->qty) {
        const Fixed missing = *cum - o->filled;
        const auto avg = m.get_fixed(kAvgPx);
        if (avg && *avg > 0) {
          const Fixed total = mul_round(*cum, *avg);
          Fixed px = static_cast<Fixed>(div_round_half_away(static_cast<i128>(total - o->filled_notional) * kScale, missing));
          if (px <= 0) px = *avg;
          o->filled = *cum;
          o->filled_notional = total;
          ++stats_.fills_from_status;
          const bool done = status == '2' || o->filled >= o->qty;
          out[n++] = report(o->coid, o->symbol_id, o->side, ExecKind::Fill, missing, px,
                            fee_from_bps(missing, px, taker_fee_bps_), done);
          if (done) {
            erase(o->coid);
            return n;
          }
        } else {
          ++stats_.bad_reports;
        }
      }
      if (status == '8') {  // rejected, or unknown to the acceptor: the order never arrived
        finish(o->filled > 0 ? ExecKind::Cancel : ExecKind::Reject);
        return n;
      }
      if (status == '2') {  // filled, and every fill already applied
        finish(ExecKind::Cancel);
        return n;
      }
      if (is_final_status(status)) {
        finish(ExecKind::Cancel);
        return n;
      }
      // Still open at the acceptor: a cancel wanted meanwhile goes now.
      if (o->cancel_wanted) send_cancel(*o);
      return n;
    }
    default:
      return 0;  // Restated, TradeCorrect, ...: not acted on (counted as reports)
  }
}

}  // namespace tp::fix
