// Strategy evaluation per market event, wired as deterministic replay wires it (as
// tests/exec/pipeline_harness.hpp does): tp::Strategy forwarding book tops to an
// OrderGateway<SimVenue> whose drain() is the strategy's SettleFn, rings B/C/D between them.
//
// Input: the bookTicker and trade messages of tests/data/binance/spot_btcusdt_20240808_head400.txt
// (real Binance spot BTCUSDT, bid ~61,837), normalized once at setup by tp::feed::BinanceNormalizer
// into a vector of MarketEvents (outside timing), then cycled. One benchmark iteration = one
// Strategy::on_market() call plus draining ring D (journal records are popped and discarded, so it
// never fills). Everything on_market() does is inside: clock/day check, position book and mark,
// unrealized P&L and equity statistics, forwarding the book top to the gateway (ring B), the
// gateway's drain and the simulated venue's on_book_top, draining ring C, the loss-limit check,
// the rules, and the checkpoint record every 1000 events. When the vector wraps, event times go
// back; the strategy's clock never does, so no day rollover happens.
//
// Configurations (all: lot_step 0.00001, min_notional 5, profit ladder 5% / 10% / 20%,
// daily_loss_limit 100000, simulated venue with latency 0):
//   NoPosition         BTCUSDT, no position: the rules return at once (qty == 0).
//   Inventory          long 0.5 BTCUSDT at 61,000 (~+1.4% at these prices): every book top moves
//                      the mark and walks the whole ladder, no level is reached (no order).
//   InventoryAllRules  as Inventory, plus [stop_loss] loss_pct 20 and [trailing_stop] trail_pct 10,
//                      activation_pct 30: stop-loss, trailing stop and profit ladder evaluated on
//                      every book top, none fires.
//   Symbols64          64 symbols (BTCUSDT, S01..S63), each long 0.5 at 61,000 as in Inventory; the
//                      events are the same real messages with symbol_id = index % 64 (the vector is
//                      cut to a multiple of 64 so the round-robin never breaks when it wraps).
//
// Counters: ns_per_event (real time), allocs_per_event (global operator new calls in the timed
// loop, counted by the replaced operator new below: must be 0), orders (orders the strategy sent
// during the run: must be 0 for these configurations; the benchmark fails otherwise),
// journal_per_event (records drained), book_top_share (share of events that are book tops, i.e.
// that run the rules), setup_allocs (operator new calls while building the pipeline, outside
// timing: non-zero, which shows the counter sees the engine's allocations).
#include <benchmark/benchmark.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <new>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/config/config.hpp"
#include "core/types/events.hpp"
#include "core/journal/journal.hpp"
#include "core/threads/rings.hpp"
#include "core/strategy/strategy.hpp"
#include "core/types/symbol_table.hpp"
#include "exec/order_gateway.hpp"
#include "exec/sim_venue.hpp"
#include "feed/binance_normalizer.hpp"
#include "bench/counting_allocator.hpp"
#include "core/telemetry/strategy_telemetry.hpp"
#include "ops/prometheus_text.hpp"


namespace {

using tp::Config;
using tp::MarketEvent;

// ---- events ------------------------------------------------------------------------------------

std::vector<MarketEvent> load_events() {
  const std::string path = std::string(TP_SOURCE_DIR) + "/tests/data/binance/spot_btcusdt_20240808_head400.txt";
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open " + path);
  tp::SymbolTable symbols({"BTCUSDT"});
  tp::feed::NormalizerStats stats;
  tp::feed::BinanceNormalizer norm(symbols, stats);
  std::vector<MarketEvent> events;
  std::string line;
  while (std::getline(in, line)) {
    const auto sp = line.find(' ');
    std::string buf = line.substr(sp + 1);
    const std::size_t size = buf.size();
    buf.append(tp::feed::kPayloadPadding, ' ');
    MarketEvent ev{};
    if (norm.normalize(tp::feed::Message{buf.data(), size, std::stoll(line.substr(0, sp))}, ev) &&
        (ev.kind == tp::EventKind::BookTop || ev.kind == tp::EventKind::Trade))
      events.push_back(ev);
  }
  if (events.empty()) throw std::runtime_error("no events");
  return events;
}

const std::vector<MarketEvent>& real_events() {
  static const std::vector<MarketEvent> e = load_events();
  return e;
}

// ---- configurations ----------------------------------------------------------------------------

enum class Case { NoPosition, Inventory, InventoryAllRules, Symbols64 };

std::string symbol_name(int i) {
  if (i == 0) return "BTCUSDT";
  std::string s = "S";
  if (i < 10) s += '0';
  return s + std::to_string(i);
}

Config make_config(Case c, int nsym) {
  std::string toml = "[venue]\nformat = \"binance\"\n";
  for (int i = 0; i < nsym; ++i)
    toml += "[[symbols]]\nname = \"" + symbol_name(i) + "\"\nlot_step = \"0.00001\"\nmin_notional = \"5\"\n";
  if (c != Case::NoPosition)
    for (int i = 0; i < nsym; ++i)
      toml += "[[positions]]\nsymbol = \"" + symbol_name(i) + "\"\nqty = \"0.5\"\nentry_price = \"61000\"\n";
  toml +=
      "[profit_take]\n"
      "levels = [ { gain_pct = 5.0, reduce_fraction = 0.30 }, { gain_pct = 10.0, reduce_fraction = 0.30 },\n"
      "           { gain_pct = 20.0, reduce_fraction = 0.50 } ]\n"
      "[risk]\ndaily_loss_limit = \"100000\"\n"
      "[sim]\nlatency_ns = 0\ntaker_fee_bps = 10\n";
  if (c == Case::InventoryAllRules)
    toml +=
        "[stop_loss]\nloss_pct = 20.0\nclose_fraction = 1.0\n"
        "[trailing_stop]\ntrail_pct = 10.0\nactivation_pct = 30.0\nclose_fraction = 1.0\n";
  return tp::parse_config(toml, "strategy_bench");
}

// The deterministic wiring (tests/exec/pipeline_harness.hpp), without the journal formatting.
struct Pipeline {
  Config cfg;
  tp::SymbolTable symbols;
  std::unique_ptr<tp::GatewayRing> b = std::make_unique<tp::GatewayRing>();
  std::unique_ptr<tp::ExecRing> c = std::make_unique<tp::ExecRing>();
  std::unique_ptr<tp::JournalRing> d = std::make_unique<tp::JournalRing>();
  tp::SimVenue venue;
  tp::OrderGateway<tp::SimVenue> gateway;
  tp::Strategy strategy;

  explicit Pipeline(Config c_)
      : cfg(std::move(c_)),
        symbols(cfg.symbol_names()),
        venue(cfg.sim, symbols.size()),
        gateway(cfg.risk, venue, *b, *c, tp::WaitKind::SpinThenYield),
        strategy(cfg, symbols, *b, *c, *d, true,
                 tp::SettleFn{&gateway, [](void* g) noexcept {
                                static_cast<tp::OrderGateway<tp::SimVenue>*>(g)->drain();
                              }}) {}
};

void BM_Strategy(benchmark::State& state, Case which) {
  const int nsym = which == Case::Symbols64 ? 64 : 1;
  std::vector<MarketEvent> events = real_events();
  if (nsym > 1) {
    events.resize(events.size() / static_cast<std::size_t>(nsym) * static_cast<std::size_t>(nsym));
    for (std::size_t i = 0; i < events.size(); ++i) events[i].symbol_id = static_cast<tp::SymbolId>(i % nsym);
  }
  std::size_t book_tops = 0;
  for (const auto& e : events) book_tops += e.kind == tp::EventKind::BookTop;

  const uint64_t setup0 = tp::bench::allocations();
  auto p = std::make_unique<Pipeline>(make_config(which, nsym));
  const uint64_t setup_allocs = tp::bench::allocations() - setup0;
  tp::JournalRing& journal = *p->d;
  tp::Strategy& strategy = p->strategy;
  const MarketEvent* ev = events.data();
  const std::size_t n = events.size();
  std::size_t i = 0;
  uint64_t records = 0;
  tp::JournalRecord r;

  const uint64_t allocs0 = tp::bench::allocations();
  for (auto _ : state) {
    strategy.on_market(ev[i]);
    while (journal.try_pop(r)) ++records;
    if (++i == n) i = 0;
  }
  const uint64_t allocs = tp::bench::allocations() - allocs0;
  benchmark::DoNotOptimize(records);

  uint64_t orders = 0;
  for (tp::SymbolId s = 0; s < p->symbols.size(); ++s) orders += strategy.stats(s).orders;
  const auto iters = static_cast<double>(state.iterations());
  state.SetItemsProcessed(state.iterations());
  state.counters["ns_per_event"] =
      benchmark::Counter(iters, benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.counters["allocs_per_event"] = static_cast<double>(allocs) / iters;
  state.counters["orders"] = static_cast<double>(orders);
  state.counters["journal_per_event"] = static_cast<double>(records) / iters;
  state.counters["book_top_share"] = static_cast<double>(book_tops) / static_cast<double>(n);
  state.counters["events"] = static_cast<double>(n);
  state.counters["setup_allocs"] = static_cast<double>(setup_allocs);  // shows the counter is live
  if (orders != 0) state.SkipWithError("the strategy sent an order: the configuration should never trigger");
  if (allocs != 0) state.SkipWithError("allocation in the timed loop");
}

// The same strategy loop with the operations side on (issue 11): the strategy publishes its
// figures (StrategyTelemetry, at most once a ms, checked every 64 events as the threaded loop
// does), and a scraper thread reads them as GET /metrics does - every symbol's Seqlock, the totals,
// the open orders - and formats the Prometheus text, `scrape_hz` times a second (0: no scraper;
// -1: back to back, the worst case). SPEC 12 asks that a scrape cannot stall a stage: the
// strategy's ns/event with a 100 Hz scraper must stay within 5% of the run without one.
void BM_StrategyScraped(benchmark::State& state, int scrape_hz) {
  constexpr int nsym = 64;
  std::vector<MarketEvent> events = real_events();
  events.resize(events.size() / nsym * nsym);
  for (std::size_t i = 0; i < events.size(); ++i) events[i].symbol_id = static_cast<tp::SymbolId>(i % nsym);
  auto p = std::make_unique<Pipeline>(make_config(Case::Inventory, nsym));
  tp::StrategyTelemetry telemetry(p->symbols.size());
  p->strategy.set_telemetry(&telemetry);

  std::atomic<bool> stop{false};
  std::atomic<uint64_t> scrapes{0};
  std::thread scraper;
  if (scrape_hz != 0) {
    scraper = std::thread([&] {
      const auto period = std::chrono::nanoseconds(scrape_hz > 0 ? 1'000'000'000 / scrape_hz : 0);
      auto next = std::chrono::steady_clock::now();
      while (!stop.load(std::memory_order_relaxed)) {
        tp::ops::PrometheusText out;
        const tp::StrategyTotals t = telemetry.totals().read();
        out.gauge("tickpipe_day_pnl", "Day P&L.");
        out.sample(static_cast<double>(t.day_pnl) / 1e8);
        out.gauge("tickpipe_position_quantity", "Position.");
        for (tp::SymbolId id = 0; id < telemetry.symbols(); ++id) {
          const tp::SymbolFigures f = telemetry.symbol(id).read();
          out.sample({{"symbol", p->symbols.name(id)}}, static_cast<double>(f.position.qty) / 1e8);
          out.sample({{"symbol", p->symbols.name(id)}}, static_cast<double>(f.unrealized) / 1e8);
        }
        const tp::OpenOrdersFigures o = telemetry.open_orders().read();
        out.sample(o.total);
        benchmark::DoNotOptimize(out.text().data());
        scrapes.fetch_add(1, std::memory_order_relaxed);
        if (scrape_hz > 0) {
          next += period;
          std::this_thread::sleep_until(next);
        }
      }
    });
  }

  tp::JournalRing& journal = *p->d;
  tp::Strategy& strategy = p->strategy;
  const MarketEvent* ev = events.data();
  const std::size_t n = events.size();
  std::size_t i = 0;
  uint32_t since_publish = 0;
  tp::JournalRecord r;
  const uint64_t allocs0 = tp::bench::allocations();
  for (auto _ : state) {
    strategy.on_market(ev[i]);
    if (++since_publish == 64) {
      since_publish = 0;
      strategy.publish_if_due();
    }
    while (journal.try_pop(r)) {
    }
    if (++i == n) i = 0;
  }
  const uint64_t allocs = tp::bench::allocations() - allocs0;
  stop = true;
  if (scraper.joinable()) scraper.join();
  const auto iters = static_cast<double>(state.iterations());
  state.SetItemsProcessed(state.iterations());
  state.counters["ns_per_event"] = benchmark::Counter(iters, benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.counters["scrapes"] = static_cast<double>(scrapes.load());
  state.counters["publishes"] = static_cast<double>(telemetry.totals().version());
  if (scrape_hz == 0 && allocs != 0) state.SkipWithError("allocation in the timed loop");
}

}  // namespace

BENCHMARK_CAPTURE(BM_StrategyScraped, Published_NoScrape, 0)->MinTime(2.0);
BENCHMARK_CAPTURE(BM_StrategyScraped, Published_Scrape100Hz, 100)->MinTime(2.0);
BENCHMARK_CAPTURE(BM_StrategyScraped, Published_ScrapeBackToBack, -1)->MinTime(2.0);
BENCHMARK_CAPTURE(BM_Strategy, NoPosition, Case::NoPosition);
BENCHMARK_CAPTURE(BM_Strategy, Inventory, Case::Inventory);
BENCHMARK_CAPTURE(BM_Strategy, InventoryAllRules, Case::InventoryAllRules);
BENCHMARK_CAPTURE(BM_Strategy, Symbols64, Case::Symbols64);

BENCHMARK_MAIN();
