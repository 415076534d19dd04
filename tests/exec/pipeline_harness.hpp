// Strategy + gateway + simulated venue wired as the deterministic replay wires them, for tests
// that drive them with hand-written market events and read the journal lines.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/config/config.hpp"
#include "core/journal/journal.hpp"
#include "core/threads/rings.hpp"
#include "core/strategy/strategy.hpp"
#include "exec/order_gateway.hpp"
#include "exec/sim_venue.hpp"

namespace tp {

inline constexpr Fixed F(int64_t whole, int64_t frac8 = 0) { return whole * kScale + frac8; }

struct Harness {
  Config cfg;
  SymbolTable symbols;
  std::unique_ptr<GatewayRing> b = std::make_unique<GatewayRing>();
  std::unique_ptr<ExecRing> c = std::make_unique<ExecRing>();
  std::unique_ptr<JournalRing> d = std::make_unique<JournalRing>();
  SimVenue venue;
  OrderGateway<SimVenue> gateway;
  Strategy strategy;
  std::vector<std::string> lines;

  explicit Harness(Config c_)
      : cfg(std::move(c_)),
        symbols(cfg.symbol_names()),
        venue(cfg.sim, symbols.size()),
        gateway(cfg.risk, venue, *b, *c, WaitKind::SpinThenYield),
        strategy(cfg, symbols, *b, *c, *d, true, SettleFn{&gateway, [](void* g) noexcept {
                                                            static_cast<OrderGateway<SimVenue>*>(g)->drain();
                                                          }}) {}

  void on(const MarketEvent& ev) {
    strategy.on_market(ev);
    drain_journal();
  }
  void drain_journal() {
    JournalRecord r;
    char buf[kMaxJournalLine];
    while (d->try_pop(r)) lines.emplace_back(buf, format_journal_line(r, symbols, buf) - 1);
  }
  void top(int64_t ts, Fixed bid, Fixed ask, SymbolId s = 0) {
    on(make_book_top(s, BookTop{bid, F(1), ask, F(1), 0}, ts, ts));
  }
  void trade(int64_t ts, Fixed px, SymbolId s = 0) { on(make_trade(s, Trade{px, F(1), 1, Side::Buy}, ts, ts)); }
};

inline Config base(Fixed qty, Fixed entry) {
  Config c = parse_config(R"(
[[symbols]]
name = "BTCUSDT"
lot_step = "0.00001"
min_notional = "5"
)",
                          "t");
  c.positions.push_back({"BTCUSDT", qty, entry});
  return c;
}

}  // namespace tp
