// In-process tick-to-trade, end to end (issue 5, suite (5)): from "the bytes of a market-data
// message are available" to "an order has passed the gateway's pre-trade checks and is handed to
// the venue" (SimVenue::submit), through the real components:
//
//   Binance bookTicker bytes -> BinanceNormalizer::normalize -> MarketEvent -> Strategy::on_market
//     -> GatewayRing (ring B) -> OrderGateway<SimVenue>::drain -> PreTradeChecks -> SimVenue::submit
//
// Stamps (core/timing/pipeline_latency.hpp): t0 = tsc_now() taken by the feed side just before
// normalize() (the bytes are in memory: no capture decoding, no socket), carried in the event as
// MarketEvent::tsc_bytes and from there in the order it causes (OrderRequest::tsc_origin); t5 is
// taken by the gateway after the checks, just before SimVenue::submit, which records t5 - t0 in
// PipelineLatency::tick_to_trade (one sample per accepted order). The percentiles reported below
// come from that histogram (LatencySnapshot::percentile: the upper bound of the bucket, <= 3.1%
// high above 64 ns). The feed side also records decode (t1 - t0) as FeedStage does, so the path
// is the one the engine runs with latency measurement on.
//
// Input: 256 bookTicker messages in the combined-stream shape of the real recording
// (tests/data/binance/spot_btcusdt_20240808_head400.txt; the sample capture carries the same),
// BTCUSDT around 61,837.6 with a one-cent spread and varying sizes, built once before timing, each
// followed by kPayloadPadding bytes. The mid strictly alternates up and down (even messages high,
// odd low; 256 is even so the pattern holds when the sequence wraps). Receive times (the spot
// bookTicker's event time) advance 1 ms per message from 2024-08-08 12:00 UTC, so the engine clock
// moves, the rate limit refills and no day rollover happens within a run.
//
// Configuration: config/bench.toml's strategy (momentum breakout, lookback 1, breakout_bps 0,
// allow_short, cooldown 0; stop_loss loss_pct 0.000001; sim latency 0, so market orders fill at
// once against the latest book top). Every up-tick of the mid buys when flat, every down-tick sells
// when flat, and the stop-loss closes a position on the next tick that moves against it.
//
// Before timing, SameThread and ThreeThreads run one unstamped pass over the 256 messages (the
// warm-up): it fills the momentum window, opens the first position and warms caches and branch
// predictors; it leaves no sample in the histograms.
//
// BM_TickToTrade_NormalizeOnly: the floor: one normalize() per iteration, nothing else.
//
// BM_TickToTrade_SameThread: the deterministic wiring (app/engine_runner.cpp, --mode
//   deterministic): one thread, the Strategy's SettleFn is the gateway's drain(), so on_market()
//   sends an order, the gateway checks it and hands it to the venue, and the fill comes back before
//   on_market() returns. One iteration = one message: t0, normalize, on_market (which drains the
//   gateway and ring C through the settle), then ring D (journal records) popped and discarded.
//   Time = real time per message. In this wiring every tick closes the position the previous tick
//   opened (stop-loss) and, flat again once that fill is applied, opens one the other way (entry)
//   in the same event: two orders per message (orders_per_iter = 2); the second order's t5 - t0
//   includes the first one's whole round trip.
//
// BM_TickToTrade_ThreeThreads: the threaded wiring (--mode threaded): the benchmark thread is the
//   feed, plus a strategy thread and a gateway thread, joined by the real EventRing (A),
//   GatewayRing (B), ExecRing (C); the strategy thread also pops and discards JournalRing (D). With
//   >= 4 allowed CPUs each thread is pinned to its own CPU (the 2nd, 3rd and 4th allowed; the first
//   is left to the OS) and every wait busy-spins; with fewer they run unpinned and wait
//   spin_then_yield (pinned = 0). One iteration = one tick that causes an order: t0, normalize,
//   push to ring A, then (untimed) wait until the strategy thread has handled the event and has no
//   order open (the gateway accepted it, the venue filled it, the fill came back on ring C and was
//   applied). A tick that causes no order (none is expected after the warm-up) is processed the
//   same way inside the iteration but not timed. The iteration time (manual time)
//   is that order's t5 - t0 as the gateway recorded it (the change of the histogram's sum), so the
//   Time column is the mean tick-to-trade; the percentiles come from the same histogram. Waiting
//   for the fill before the next tick keeps one tick in flight: this is latency, not throughput,
//   and makes every tick cause exactly one order (up: entry buy; down: stop-loss sell).
//
// BM_TickToTrade_Fix: the deterministic wiring with the FIX 4.4 venue (issue 12): bytes in ->
//   NewOrderSingle bytes out. The same messages and strategy; the gateway is
//   OrderGateway<fix::FixVenue>, logged on to a FIX acceptor on 127.0.0.1 (bench/fix_loopback_acceptor.hpp,
//   a thread that fills each order at once), its store in a fresh temporary directory. One timed
//   iteration = one tick that causes an order: t0, normalize, on_market, whose settle drains ring B
//   into the gateway: pre-trade checks, FixVenue::submit (ClOrdID, NewOrderSingle encoded, written to
//   the store, sent with send(2)); the clock stops when send() has returned (manual time; the
//   percentiles come from the same per-order times). Untimed: the gateway polls the socket until the
//   acceptor's ExecutionReport is read and the fill applied (one order in flight, as in ThreeThreads).
//   This includes two system calls (the store's write and the socket's send), which the SimVenue
//   numbers do not have.
//
// Machine note: on a 2-CPU machine three busy threads cannot each have a core; the threads yield
// to each other, and ThreeThreads then measures the scheduler (context switches, time slices),
// not the pipeline. Only the pinned busy_spin numbers (pinned = 1) say what the rings cost.
//
// Counters: p50_ns / p99_ns / p999_ns / max_ns (tick_to_trade), orders_per_iter (SameThread),
// ticks_per_iter (ThreeThreads: messages per timed order, ~1), pinned, cpus (allowed CPUs),
// allocs (global operator new calls in the timed loop, counted by the replaced operator new below,
// on any thread: must be 0; the benchmark fails otherwise).
#include <benchmark/benchmark.h>
#include <pthread.h>
#include <sched.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <new>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "core/config/config.hpp"
#include "core/types/events.hpp"
#include "core/journal/journal.hpp"
#include "core/timing/latency_histogram.hpp"
#include "core/timing/pipeline_latency.hpp"
#include "core/threads/rings.hpp"
#include "core/strategy/strategy.hpp"
#include "core/types/symbol_table.hpp"
#include "core/threads/thread_affinity.hpp"
#include "core/timing/tsc_clock.hpp"
#include "core/threads/wait_strategy.hpp"
#include "exec/fix/fix_venue.hpp"
#include "exec/order_gateway.hpp"
#include "exec/sim_venue.hpp"
#include "feed/binance_normalizer.hpp"
#include "feed/message.hpp"
#include "feed/normalizer_stats.hpp"
#include "bench/counting_allocator.hpp"
#include "bench/fix_loopback_acceptor.hpp"


namespace {

using Gateway = tp::OrderGateway<tp::SimVenue>;

constexpr std::size_t kMessages = 256;  // even: the up/down alternation survives the wrap
constexpr std::size_t kMessageMask = kMessages - 1;
static_assert((kMessages & kMessageMask) == 0);
constexpr int64_t kBaseNs = 1723118400LL * 1'000'000'000;  // 2024-08-08 12:00:00 UTC
constexpr int64_t kStepNs = 1'000'000;                     // 1 ms between messages
constexpr uint32_t kMaxTicksWithoutOrder = 64;
constexpr auto kStallTimeout = std::chrono::seconds(2);

// ---- messages ----------------------------------------------------------------------------------

struct Corpus {
  std::vector<char> arena;  // every message, each followed by >= kPayloadPadding spaces
  const char* data[kMessages];
  std::size_t size[kMessages];
  std::size_t bytes = 0;
};

// Builds the messages and checks them with a scratch normalizer: every one a BTCUSDT book top,
// mids alternating (message i above both neighbours for even i, below for odd i, cyclically).
std::unique_ptr<Corpus> make_corpus() {
  auto c = std::make_unique<Corpus>();
  std::vector<std::string> texts;
  uint64_t lcg = 0x2545F4914F6CDD1DULL;
  auto rnd = [&lcg](uint64_t n) {
    lcg = lcg * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<int64_t>((lcg >> 33) % n);
  };
  for (std::size_t i = 0; i < kMessages; ++i) {
    // High state: bid 61837.64 .. 61837.67; low state: bid 61837.60 .. 61837.63; ask = bid + 0.01.
    const int64_t bid_cents = (i % 2 == 0 ? 6183764 : 6183760) + rnd(4);
    const int64_t ask_cents = bid_cents + 1;
    const int64_t bid_qty = 1'000'000 + rnd(500'000'000);  // 0.01 .. 5.01 BTC, in 1e-8
    const int64_t ask_qty = 1'000'000 + rnd(500'000'000);
    char buf[256];
    const int n = std::snprintf(
        buf, sizeof buf,
        "{\"stream\":\"btcusdt@bookTicker\",\"data\":{\"u\":%llu,\"s\":\"BTCUSDT\",\"b\":\"%lld.%02lld000000\","
        "\"B\":\"%lld.%08lld\",\"a\":\"%lld.%02lld000000\",\"A\":\"%lld.%08lld\"}}",
        static_cast<unsigned long long>(50093239212ULL + 7 * i), static_cast<long long>(bid_cents / 100),
        static_cast<long long>(bid_cents % 100), static_cast<long long>(bid_qty / 100'000'000),
        static_cast<long long>(bid_qty % 100'000'000), static_cast<long long>(ask_cents / 100),
        static_cast<long long>(ask_cents % 100), static_cast<long long>(ask_qty / 100'000'000),
        static_cast<long long>(ask_qty % 100'000'000));
    if (n <= 0 || static_cast<std::size_t>(n) >= sizeof buf) throw std::runtime_error("message too long");
    texts.emplace_back(buf, static_cast<std::size_t>(n));
  }
  // Each message starts on a cache line, as a receive buffer would; padding is spaces.
  std::size_t total = 0;
  std::vector<std::size_t> offset;
  for (const auto& t : texts) {
    offset.push_back(total);
    total += (t.size() + tp::feed::kPayloadPadding + 63) / 64 * 64;
  }
  c->arena.assign(total + 64, ' ');
  char* base = c->arena.data();
  base += (64 - reinterpret_cast<uintptr_t>(base) % 64) % 64;
  for (std::size_t i = 0; i < kMessages; ++i) {
    std::copy(texts[i].begin(), texts[i].end(), base + offset[i]);
    c->data[i] = base + offset[i];
    c->size[i] = texts[i].size();
    c->bytes += texts[i].size();
  }

  const tp::SymbolTable symbols({"BTCUSDT"});
  tp::feed::NormalizerStats stats;
  tp::feed::BinanceNormalizer norm(symbols, stats);
  std::vector<tp::Fixed> mids(kMessages);
  for (std::size_t i = 0; i < kMessages; ++i) {
    tp::MarketEvent ev{};
    if (!norm.normalize(tp::feed::Message{c->data[i], c->size[i], kBaseNs}, ev) || ev.kind != tp::EventKind::BookTop)
      throw std::runtime_error("message " + std::to_string(i) + " is not a book top: " + texts[i]);
    mids[i] = ev.book.bid_px + ev.book.ask_px;
  }
  for (std::size_t i = 0; i < kMessages; ++i) {
    const tp::Fixed prev = mids[(i + kMessages - 1) & kMessageMask];
    if (i % 2 == 0 ? mids[i] <= prev : mids[i] >= prev) throw std::runtime_error("mids do not alternate");
  }
  return c;
}

const Corpus& corpus() {
  static const std::unique_ptr<Corpus> c = make_corpus();
  return *c;
}

// The message for tick `seq`, received at its own time.
inline tp::feed::Message message(const Corpus& c, uint64_t seq) noexcept {
  const std::size_t i = seq & kMessageMask;
  return tp::feed::Message{c.data[i], c.size[i], kBaseNs + static_cast<int64_t>(seq) * kStepNs};
}

// ---- the pipeline ------------------------------------------------------------------------------

// config/bench.toml's strategy, with the stages' wait kind given.
tp::Config make_config(tp::WaitKind wait) {
  const std::string toml =
      "[venue]\nformat = \"binance\"\n"
      "[[symbols]]\nname = \"BTCUSDT\"\nlot_step = \"0.00001\"\nmin_qty = \"0.00001\"\nmin_notional = \"5\"\n"
      "[risk]\nday_reset_utc = \"00:00\"\nflatten_on_halt = true\nmax_order_qty = \"100\"\n"
      "max_order_notional = \"1000000\"\nmax_orders_per_sec = 1000000\n"
      "[sim]\nlatency_ns = 0\ntaker_fee_bps = 10\n"
      "[strategy]\nentry = \"momentum_breakout\"\n"
      "[strategy.momentum_breakout]\nlookback = 1\nbreakout_bps = 0\nnotional = \"100\"\nallow_short = true\n"
      "cooldown_events = 0\n"
      "[stop_loss]\nloss_pct = 0.000001\n"
      "[threads]\nwait = \"" +
      std::string(tp::wait_kind_name(wait)) + "\"\n";
  return tp::parse_config(toml, "tick_to_trade_bench");
}

void drain_gateway(void* g) noexcept { static_cast<Gateway*>(g)->drain(); }

enum class Wiring { Deterministic, Threaded };

// What app/engine_runner.cpp's Pipeline builds, minus the capture decoder and the journal writer.
struct Engine {
  tp::Config cfg;
  tp::SymbolTable symbols;
  std::unique_ptr<tp::EventRing> ring_a = std::make_unique<tp::EventRing>();
  std::unique_ptr<tp::GatewayRing> ring_b = std::make_unique<tp::GatewayRing>();
  std::unique_ptr<tp::ExecRing> ring_c = std::make_unique<tp::ExecRing>();
  std::unique_ptr<tp::JournalRing> ring_d = std::make_unique<tp::JournalRing>();
  std::unique_ptr<tp::PipelineLatency> latency = std::make_unique<tp::PipelineLatency>();
  tp::feed::NormalizerStats norm_stats;
  tp::feed::BinanceNormalizer normalizer;
  tp::SimVenue venue;
  Gateway gateway;
  tp::Strategy strategy;

  Engine(tp::Config c, Wiring wiring)
      : cfg(std::move(c)),
        symbols(cfg.symbol_names()),
        normalizer(symbols, norm_stats, static_cast<std::size_t>(cfg.feed.max_message_bytes)),
        venue(cfg.sim, symbols.size()),
        gateway(cfg.risk, venue, *ring_b, *ring_c, cfg.threads.gateway_wait),
        strategy(cfg, symbols, *ring_b, *ring_c, *ring_d, /*forward_book_tops=*/true,
                 wiring == Wiring::Deterministic ? tp::SettleFn{&gateway, &drain_gateway} : tp::SettleFn{}) {
    strategy.set_latency(latency.get());
    gateway.set_latency(latency.get());
  }

  // The feed's part of one tick: t0, normalize, stamp (as FeedStage does with latency on).
  // Unstamped (warm-up): the event and its orders are not measured.
  bool feed(const tp::feed::Message& m, tp::MarketEvent& ev, bool stamp = true) noexcept {
    const uint64_t t0 = tp::tsc_now();
    if (!normalizer.normalize(m, ev)) [[unlikely]]
      return false;
    if (stamp) {
      latency->decode.record(tp::TscClock::to_ns(tp::tsc_now() - t0));
      ev.tsc_bytes = tp::ride_stamp(t0);
    }
    return true;
  }
};

// Ticks run unmeasured before timing: one pass over the messages fills the momentum window, opens
// the first position and warms caches and branch predictors.
constexpr uint64_t kWarmupTicks = kMessages;

void drain_journal(tp::JournalRing& d) noexcept {
  tp::JournalRecord r;
  while (d.try_pop(r)) {
  }
}

void report_tick_to_trade(benchmark::State& state, const tp::LatencySnapshot& s) {
  state.counters["p50_ns"] = static_cast<double>(s.percentile(0.50));
  state.counters["p99_ns"] = static_cast<double>(s.percentile(0.99));
  state.counters["p999_ns"] = static_cast<double>(s.percentile(0.999));
  state.counters["max_ns"] = static_cast<double>(s.max);
}

// ---- benchmarks --------------------------------------------------------------------------------

void BM_TickToTrade_NormalizeOnly(benchmark::State& state) {
  const Corpus& c = corpus();
  const tp::SymbolTable symbols({"BTCUSDT"});
  tp::feed::NormalizerStats stats;
  tp::feed::BinanceNormalizer norm(symbols, stats);
  uint64_t seq = 0;
  const uint64_t allocs0 = tp::bench::allocations();
  for (auto _ : state) {
    tp::MarketEvent ev;
    const bool ok = norm.normalize(message(c, seq++), ev);
    benchmark::DoNotOptimize(ok);
    benchmark::DoNotOptimize(ev);
  }
  const uint64_t allocs = tp::bench::allocations() - allocs0;
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(c.bytes / kMessages));
  state.counters["allocs"] = static_cast<double>(allocs);
  if (allocs != 0) state.SkipWithError("allocation in the timed loop");
}

void BM_TickToTrade_SameThread(benchmark::State& state) {
  const Corpus& c = corpus();
  auto e = std::make_unique<Engine>(make_config(tp::WaitKind::SpinThenYield), Wiring::Deterministic);
  tp::JournalRing& journal = *e->ring_d;
  uint64_t seq = 0;
  bool bad_message = false;
  for (; seq < kWarmupTicks && !bad_message; ++seq) {
    tp::MarketEvent ev;
    bad_message = !e->feed(message(c, seq), ev, /*stamp=*/false);
    if (!bad_message) e->strategy.on_market(ev);
    drain_journal(journal);
  }
  const uint64_t orders0 = e->gateway.stats().orders;

  const uint64_t allocs0 = tp::bench::allocations();
  for (auto _ : state) {
    if (bad_message) break;
    tp::MarketEvent ev;
    if (!e->feed(message(c, seq++), ev)) [[unlikely]] {
      bad_message = true;
      break;
    }
    e->strategy.on_market(ev);  // settle = gateway.drain(): checks, venue, fill, ring C applied
    drain_journal(journal);
  }
  const uint64_t allocs = tp::bench::allocations() - allocs0;

  const tp::GatewayStats& gs = e->gateway.stats();
  const auto iters = static_cast<double>(state.iterations());
  report_tick_to_trade(state, e->latency->tick_to_trade.snapshot());
  state.counters["orders_per_iter"] = static_cast<double>(gs.orders - orders0) / iters;
  state.counters["allocs"] = static_cast<double>(allocs);
  state.SetItemsProcessed(state.iterations());
  if (bad_message) state.SkipWithError("a message did not normalize to an event");
  else if (gs.accepted == 0) state.SkipWithError("no order reached the venue");
  else if (gs.rejected != 0) state.SkipWithError("the gateway rejected orders");
  else if (allocs != 0) state.SkipWithError("allocation in the timed loop");
}

// Cross-thread flags, each on its own cache line.
struct alignas(64) PaddedU64 {
  std::atomic<uint64_t> v{0};
};
struct alignas(64) PaddedBool {
  std::atomic<bool> v{false};
};

// Restores the calling thread's CPU mask when it goes out of scope (the benchmark thread pins
// itself only for ThreeThreads).
class AffinityGuard {
 public:
  AffinityGuard() noexcept {
    CPU_ZERO(&saved_);
    ok_ = pthread_getaffinity_np(pthread_self(), sizeof saved_, &saved_) == 0;
  }
  ~AffinityGuard() {
    if (ok_) pthread_setaffinity_np(pthread_self(), sizeof saved_, &saved_);
  }
  AffinityGuard(const AffinityGuard&) = delete;
  AffinityGuard& operator=(const AffinityGuard&) = delete;

 private:
  cpu_set_t saved_;
  bool ok_ = false;
};

// Waits (the stage's wait kind) until pred() holds; false after kStallTimeout.
template <typename Pred>
bool wait_until(Pred pred, tp::WaitKind kind) noexcept {
  tp::Waiter w(kind);
  uint32_t spins = 0;
  std::chrono::steady_clock::time_point start{};
  while (!pred()) {
    w.idle();
    if ((++spins & 0xFFF) == 0) {
      const auto now = std::chrono::steady_clock::now();
      if (spins == 0x1000) start = now;
      else if (now - start > kStallTimeout) return false;
    }
  }
  return true;
}

void BM_TickToTrade_ThreeThreads(benchmark::State& state) {
  const Corpus& c = corpus();
  const std::vector<int> cpus = tp::allowed_cpus();  // before this thread pins itself
  const bool pin = cpus.size() >= 4;
  const tp::WaitKind wait = pin ? tp::WaitKind::BusySpin : tp::WaitKind::SpinThenYield;
  auto e = std::make_unique<Engine>(make_config(wait), Wiring::Threaded);
  tp::EventRing& ring_a = *e->ring_a;
  tp::Strategy& strategy = e->strategy;
  Gateway& gateway = e->gateway;
  const tp::LatencyHistogram& t2t = e->latency->tick_to_trade;

  PaddedU64 processed;  // strategy -> feed: events handled (stored after `open`)
  PaddedU64 open;       // strategy -> feed: the strategy's open orders, stored when it changes
  PaddedU64 ready;      // threads placed and running
  PaddedBool feed_done;
  PaddedBool strategy_pinned;
  PaddedBool gateway_pinned;

  AffinityGuard restore;
  const bool feed_pinned = pin && tp::pin_current_thread(cpus[1]).empty();

  std::thread strategy_thread([&] {
    strategy_pinned.v.store(pin && tp::pin_current_thread(cpus[2]).empty(), std::memory_order_relaxed);
    tp::name_current_thread("t2t-strategy");
    tp::Waiter w(wait);
    tp::MarketEvent ev;
    uint64_t handled = 0;
    uint64_t last_open = 0;
    // Release on both stores: whoever reads open == 0 sees everything the strategy applied,
    // including (through ring C) the gateway's latency record of the order.
    auto publish_open = [&] {
      const uint64_t now = strategy.open_orders();
      if (now != last_open) open.v.store(last_open = now, std::memory_order_release);
    };
    ready.v.fetch_add(1, std::memory_order_release);
    for (;;) {
      if (ring_a.try_pop(ev)) {
        strategy.on_market(ev);
        drain_journal(*e->ring_d);
        publish_open();
        processed.v.store(++handled, std::memory_order_release);
        w.reset();
        continue;
      }
      strategy.drain_exec();
      drain_journal(*e->ring_d);
      publish_open();
      if (feed_done.v.load(std::memory_order_acquire) && ring_a.empty()) break;
      w.idle();
    }
    // The clean end of a threaded run: the gateway acknowledges end of data on ring C.
    strategy.send_end_of_data();
    while (!strategy.end_of_data_acknowledged()) {
      strategy.drain_exec();
      drain_journal(*e->ring_d);
      w.idle();
    }
  });

  std::thread gateway_thread([&] {
    gateway_pinned.v.store(pin && tp::pin_current_thread(cpus[3]).empty(), std::memory_order_relaxed);
    tp::name_current_thread("t2t-gateway");
    tp::Waiter w(wait);
    ready.v.fetch_add(1, std::memory_order_release);
    while (!gateway.end_of_data()) {
      if (gateway.drain() != 0) w.reset();
      else w.idle();
    }
  });

  const char* error = nullptr;
  if (!wait_until([&] { return ready.v.load(std::memory_order_acquire) == 2; }, wait))
    error = "stage threads did not start";

  uint64_t seq = 0;       // messages sent
  uint64_t ticks = 0;     // messages sent inside timed iterations
  uint64_t seen_count = 0;
  uint64_t seen_sum = 0;
  tp::LatencySnapshot snap;  // 15 KB, reused
  // Every tick, measured or not, goes all the way through before the next one: the strategy has
  // handled it and has no order open (the gateway accepted it, the venue filled it, the fill came
  // back on ring C and was applied).
  auto settled = [&] {
    return processed.v.load(std::memory_order_acquire) == seq && open.v.load(std::memory_order_acquire) == 0;
  };
  for (; seq < kWarmupTicks && error == nullptr;) {
    tp::MarketEvent ev;
    if (!e->feed(message(c, seq), ev, /*stamp=*/false)) error = "a message did not normalize to an event";
    else {
      tp::push_wait(ring_a, ev, wait);
      ++seq;
      if (!wait_until(settled, wait)) error = "pipeline stalled in the warm-up";
    }
  }

  const uint64_t allocs0 = tp::bench::allocations();
  for (auto _ : state) {
    if (error != nullptr) break;
    double seconds = -1;
    for (uint32_t tries = 0; seconds < 0; ++tries) {
      if (tries == kMaxTicksWithoutOrder) {
        error = "no order for too many ticks";
        break;
      }
      tp::MarketEvent ev;
      if (!e->feed(message(c, seq), ev)) [[unlikely]] {
        error = "a message did not normalize to an event";
        break;
      }
      tp::push_wait(ring_a, ev, wait);  // never full: one event in flight
      ++seq;
      ++ticks;
      // Untimed from here (manual time): the tick has gone all the way through.
      if (!wait_until(settled, wait)) {
        error = "pipeline stalled";
        break;
      }
      if (t2t.count() != seen_count) {
        snap = t2t.snapshot();  // exact: the gateway's record happened before open == 0
        seconds = static_cast<double>(snap.sum - seen_sum) / static_cast<double>(snap.count - seen_count) * 1e-9;
        seen_count = snap.count;
        seen_sum = snap.sum;
      }
    }
    if (error != nullptr) break;
    state.SetIterationTime(seconds);
  }
  const uint64_t allocs = tp::bench::allocations() - allocs0;

  feed_done.v.store(true, std::memory_order_release);
  strategy_thread.join();
  gateway_thread.join();

  const bool pinned = feed_pinned && strategy_pinned.v.load(std::memory_order_relaxed) &&
                      gateway_pinned.v.load(std::memory_order_relaxed);
  report_tick_to_trade(state, t2t.snapshot());
  const auto iters = static_cast<double>(state.iterations());
  state.counters["ticks_per_iter"] = iters == 0 ? 0.0 : static_cast<double>(ticks) / iters;
  state.counters["pinned"] = pinned ? 1 : 0;
  state.counters["cpus"] = static_cast<double>(cpus.size());
  state.counters["allocs"] = static_cast<double>(allocs);
  state.SetLabel(std::string(pinned ? "pinned " : "unpinned ") + tp::wait_kind_name(wait));
  const tp::GatewayStats& gs = gateway.stats();
  if (error != nullptr) state.SkipWithError(error);
  else if (gs.rejected != 0 || gs.venue_rejected != 0) state.SkipWithError("orders were rejected");
  else if (allocs != 0) state.SkipWithError("allocation in the timed loop");
}

using FixGateway = tp::OrderGateway<tp::fix::FixVenue>;
void drain_fix_gateway(void* g) noexcept { static_cast<FixGateway*>(g)->drain(); }

// The Engine above with the FIX venue in place of the simulated one.
struct FixEngine {
  tp::Config cfg;
  tp::SymbolTable symbols;
  std::unique_ptr<tp::EventRing> ring_a = std::make_unique<tp::EventRing>();
  std::unique_ptr<tp::GatewayRing> ring_b = std::make_unique<tp::GatewayRing>();
  std::unique_ptr<tp::ExecRing> ring_c = std::make_unique<tp::ExecRing>();
  std::unique_ptr<tp::JournalRing> ring_d = std::make_unique<tp::JournalRing>();
  tp::feed::NormalizerStats norm_stats;
  tp::feed::BinanceNormalizer normalizer;
  tp::fix::FixVenue venue;
  FixGateway gateway;
  tp::Strategy strategy;

  FixEngine(tp::Config c, const tp::FixConfig& fix)
      : cfg(std::move(c)),
        symbols(cfg.symbol_names()),
        normalizer(symbols, norm_stats, static_cast<std::size_t>(cfg.feed.max_message_bytes)),
        venue(fix, cfg.symbol_names(), cfg.sim.taker_fee_bps, static_cast<std::size_t>(cfg.risk.max_open_orders)),
        gateway(cfg.risk, venue, *ring_b, *ring_c, cfg.threads.gateway_wait),
        strategy(cfg, symbols, *ring_b, *ring_c, *ring_d, /*forward_book_tops=*/false,
                 tp::SettleFn{&gateway, &drain_fix_gateway}) {}

  // Polls the session until the strategy has no order open (the fill came back), or 2 s.
  bool settle() noexcept {
    const auto end = std::chrono::steady_clock::now() + kStallTimeout;
    while (strategy.open_orders() != 0) {
      gateway.poll();
      strategy.drain_exec();
      drain_journal(*ring_d);
      if (std::chrono::steady_clock::now() > end) return false;
    }
    return true;
  }
};

void BM_TickToTrade_Fix(benchmark::State& state) {
  const Corpus& c = corpus();
  char dir_template[] = "/tmp/tickpipe-t2t-fix-XXXXXX";
  if (::mkdtemp(dir_template) == nullptr) {
    state.SkipWithError("mkdtemp failed");
    return;
  }
  const std::string dir = dir_template;
  const char* error = nullptr;
  tp::LatencyHistogram hist;
  {
    tp::bench::FixLoopbackAcceptor acceptor;
    tp::FixConfig fix;
    fix.present = true;
    fix.port = static_cast<uint16_t>(acceptor.port());
    fix.sender_comp_id = "CLIENT1";
    fix.target_comp_id = "EXECUTOR";
    fix.store_dir = dir;
    auto e = std::make_unique<FixEngine>(make_config(tp::WaitKind::SpinThenYield), fix);
    const auto logon_end = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (!e->venue.session().logged_on() && std::chrono::steady_clock::now() < logon_end) e->gateway.poll();
    if (!e->venue.session().logged_on()) error = "no logon";

    uint64_t seq = 0;
    for (; seq < kWarmupTicks && error == nullptr; ++seq) {
      tp::MarketEvent ev;
      if (!e->normalizer.normalize(message(c, seq), ev)) error = "a message did not normalize to an event";
      else e->strategy.on_market(ev);
      drain_journal(*e->ring_d);
      if (error == nullptr && !e->settle()) error = "no fill in the warm-up";
    }

    const uint64_t allocs0 = tp::bench::allocations();
    for (auto _ : state) {
      if (error != nullptr) break;
      double seconds = -1;
      for (uint32_t tries = 0; seconds < 0 && error == nullptr; ++tries) {
        if (tries == kMaxTicksWithoutOrder) {
          error = "no order for too many ticks";
          break;
        }
        const uint64_t sent0 = e->venue.stats().orders_sent;
        tp::MarketEvent ev;
        const uint64_t t0 = tp::tsc_now();
        if (!e->normalizer.normalize(message(c, seq++), ev)) [[unlikely]] {
          error = "a message did not normalize to an event";
          break;
        }
        e->strategy.on_market(ev);  // settle: gateway.drain() -> FixVenue::submit -> send()
        const uint64_t t1 = tp::tsc_now();
        if (e->venue.stats().orders_sent != sent0) {
          const uint64_t ns = tp::TscClock::to_ns(t1 - t0);
          hist.record(ns);
          seconds = static_cast<double>(ns) * 1e-9;
        }
        drain_journal(*e->ring_d);
        if (!e->settle()) error = "the acceptor did not fill";
      }
      if (error != nullptr) break;
      state.SetIterationTime(seconds);
    }
    const uint64_t allocs = tp::bench::allocations() - allocs0;
    state.counters["allocs"] = static_cast<double>(allocs);
    if (error == nullptr && allocs != 0) error = "allocation in the timed loop";
    const tp::GatewayStats& gs = e->gateway.stats();
    if (error == nullptr && (gs.rejected != 0 || gs.venue_rejected != 0)) error = "orders were rejected";
    e->venue.begin_shutdown();
    const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(3);
    while (!e->venue.shutdown_complete() && std::chrono::steady_clock::now() < end) e->gateway.poll();
  }
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  report_tick_to_trade(state, hist.snapshot());
  if (error != nullptr) state.SkipWithError(error);
}

}  // namespace

BENCHMARK(BM_TickToTrade_NormalizeOnly);
BENCHMARK(BM_TickToTrade_SameThread);
BENCHMARK(BM_TickToTrade_ThreeThreads)->UseManualTime();
BENCHMARK(BM_TickToTrade_Fix)->UseManualTime();

int main(int argc, char** argv) {
  tp::TscClock::init();  // before any thread stamps
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::AddCustomContext("tp_clock", tp::TscClock::describe());
  benchmark::AddCustomContext("tp_allowed_cpus", std::to_string(tp::allowed_cpus().size()));
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
