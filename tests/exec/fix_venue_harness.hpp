// A FixVenue driven by the test thread as the gateway thread would drive it: orders and cancels
// in, poll() until a condition holds (bounded in time), every ExecReport kept. For the FIX tests
// against tests/peers/fix_exchange (a real QuickFIX acceptor) and the scripted raw acceptor.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "core/config/config.hpp"
#include "core/types/decimal.hpp"
#include "core/types/orders.hpp"
#include "exec/fix/fix_venue.hpp"

namespace tp::testing {

class ScratchDir {
 public:
  ScratchDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "tickpipe-fix-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

inline Fixed fx(const char* text) {
  Fixed v = 0;
  if (!parse_fixed_signed(text, v)) throw std::invalid_argument(text);
  return v;
}

inline FixConfig fix_config(int port, const std::string& store_dir) {
  FixConfig c;
  c.present = true;
  c.host = "127.0.0.1";
  c.port = static_cast<uint16_t>(port);
  c.sender_comp_id = "CLIENT1";
  c.target_comp_id = "EXECUTOR";
  c.heartbeat_s = 30;
  c.store_dir = store_dir;
  c.reconnect_min_ms = 50;
  c.reconnect_max_ms = 400;
  c.logon_timeout_ms = 3000;
  c.shutdown_wait_ms = 2000;
  return c;
}

inline OrderRequest market_order(uint64_t coid, Side side, const char* qty) {
  OrderRequest o{};
  o.client_order_id = coid;
  o.qty = fx(qty);
  o.symbol_id = 0;
  o.side = side;
  o.type = OrderType::Market;
  o.reason = OrderReason::Operator;
  return o;
}

inline OrderRequest limit_order(uint64_t coid, Side side, const char* qty, const char* px) {
  OrderRequest o = market_order(coid, side, qty);
  o.type = OrderType::Limit;
  o.price = fx(px);
  return o;
}

class FixVenueHarness {
 public:
  explicit FixVenueHarness(const FixConfig& cfg, Fixed taker_fee_bps = 10 * kScale)
      : venue_(std::make_unique<fix::FixVenue>(cfg, std::vector<std::string>{"BTCUSDT", "ETHUSDT"}, taker_fee_bps, 64)) {}

  fix::FixVenue& venue() { return *venue_; }
  const std::vector<ExecReport>& reports() const { return reports_; }

  // Polls until `done()` or `timeout`; true when done.
  bool poll_until(const std::function<bool()>& done, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    const auto end = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < end) {
      venue_->poll([this](const ExecReport& r) { reports_.push_back(r); });
      if (done()) return true;
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    return done();
  }
  void poll_for(std::chrono::milliseconds d) {
    poll_until([] { return false; }, d);
  }
  bool logon(std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    return poll_until([this] { return venue_->session().logged_on(); }, timeout);
  }

  void submit(const OrderRequest& o) {
    venue_->submit(o, [this](const ExecReport& r) { reports_.push_back(r); });
  }
  void cancel(uint64_t coid) {
    CancelRequest c{coid, 0};
    venue_->cancel(c, [this](const ExecReport& r) { reports_.push_back(r); });
  }
  // True once the order has had its last report.
  bool finished(uint64_t coid) const {
    for (const ExecReport& r : reports_)
      if (r.client_order_id == coid && r.last) return true;
    return false;
  }
  std::vector<ExecReport> of(uint64_t coid, ExecKind kind) const {
    std::vector<ExecReport> out;
    for (const ExecReport& r : reports_)
      if (r.client_order_id == coid && r.kind == kind) out.push_back(r);
    return out;
  }
  Fixed filled(uint64_t coid) const {
    Fixed q = 0;
    for (const ExecReport& r : of(coid, ExecKind::Fill)) q += r.qty;
    return q;
  }
  // Orderly end: the venue's shutdown (wait for open orders, Logout) until the session stopped.
  bool shutdown(std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    venue_->begin_shutdown();
    return poll_until([this] { return venue_->shutdown_complete(); }, timeout);
  }
  // The ClOrdID the venue gives client order id `coid`.
  std::string clordid(uint64_t coid) const {
    return std::to_string(venue_->store().incarnation()) + "-" + std::to_string(coid);
  }
  void reset() { venue_.reset(); }

 private:
  std::unique_ptr<fix::FixVenue> venue_;
  std::vector<ExecReport> reports_;
};

}  // namespace tp::testing
