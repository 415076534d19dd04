#include "app/engine_runner.hpp"

#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <chrono>
#include <memory>
#include <mutex>
#include <thread>

#include "app/engine_ops.hpp"
#include "core/journal/journal.hpp"
#include "core/telemetry/event_log.hpp"
#include "core/telemetry/stage_heartbeat.hpp"
#include "core/telemetry/strategy_telemetry.hpp"
#include "core/threads/process_signals.hpp"
#include "core/threads/rings.hpp"
#include "core/strategy/strategy.hpp"
#include "core/types/symbol_table.hpp"
#include "core/threads/thread_affinity.hpp"
#include "exec/fix/fix_venue.hpp"
#include "exec/order_gateway.hpp"
#include "exec/sim_venue.hpp"
#include "feed/binance_normalizer.hpp"
#include "feed/coinbase_normalizer.hpp"
#include "feed/capture_decoder.hpp"
#include "feed/feed_stage.hpp"
#include "feed/live/book_resubscriber.hpp"
#include "feed/live/depth_snapshot_fetcher.hpp"
#include "feed/live/live_feed.hpp"
#include "feed/live/session_recorder.hpp"
#include "feed/live/snapshot_injector.hpp"
#include "feed/live/live_feed_group.hpp"
#include "feed/live/subscribe_request.hpp"
#include "feed/message_dump.hpp"

namespace tp {
namespace {

using SimGateway = OrderGateway<SimVenue>;
using FixGateway = OrderGateway<fix::FixVenue>;

void drain_gateway(void* g) noexcept { static_cast<SimGateway*>(g)->drain(); }

feed::DecoderOptions decoder_options(const FeedConfig& f, bool stamp_packets) {
  feed::DecoderOptions o;
  o.stamp_packets = stamp_packets;
  o.max_message_bytes = static_cast<std::size_t>(f.max_message_bytes);
  o.max_out_of_order_bytes = static_cast<std::size_t>(f.max_out_of_order_bytes);
  o.max_connections = static_cast<std::size_t>(f.max_connections);
  o.max_resync_bytes = static_cast<std::size_t>(f.max_resync_bytes);
  o.max_ip_fragment_datagrams = static_cast<std::size_t>(f.max_ip_fragment_datagrams);
  o.max_ip_fragment_bytes = static_cast<std::size_t>(f.max_ip_fragment_bytes);
  o.ip_fragment_timeout_ms = f.ip_fragment_timeout_ms;
  return o;
}

LogLevel log_level_of(const OpsConfig& ops) {
  LogLevel l = LogLevel::Info;
  parse_log_level(ops.log_level, l);
  return l;
}

// Everything a run owns, built before any stage starts (all allocation happens here).
struct Pipeline {
  const Config& cfg;
  SymbolTable symbols;
  std::unique_ptr<EventRing> ring_a = std::make_unique<EventRing>();
  std::unique_ptr<GatewayRing> ring_b = std::make_unique<GatewayRing>();
  std::unique_ptr<ExecRing> ring_c = std::make_unique<ExecRing>();
  std::unique_ptr<JournalRing> ring_d = std::make_unique<JournalRing>();
  // Where a stage blocks (WaitKind::Blocking) its producers wake it.
  EventCount strategy_wake;
  EventCount gateway_wake;
  feed::NormalizerStats norm_stats;
  feed::CaptureDecoder decoder;
  // Exactly one of these exists: the venue format the configuration names.
  std::unique_ptr<feed::BinanceNormalizer> binance;
  std::unique_ptr<feed::CoinbaseNormalizer> coinbase;
  std::unique_ptr<feed::MessageDump> dump;
  // With a [live] table (a live session, or the replay of its recording) and Binance's numbered
  // events: drops what a make-before-break overlap delivers twice. Null otherwise.
  std::unique_ptr<feed::OverlapFilter> overlap;
  // [book]: the order books the feed keeps from the venue's depth messages (one of them, for the
  // venue's normalizer; both null without [book]).
  std::unique_ptr<feed::BookFeed<feed::BinanceBookSync>> binance_book;
  std::unique_ptr<feed::BookFeed<feed::CoinbaseBookSync>> coinbase_book;
  // Operations (ops/): the event log (the FIX session writes to it too).
  EventLog log;
  // Where orders go: exactly one venue and its gateway exist. The simulated venue, or in a live
  // session with [exec] venue = "fix" the FIX 4.4 session (replay always keeps the simulated one).
  std::unique_ptr<SimVenue> sim_venue;
  std::unique_ptr<fix::FixVenue> fix_venue;
  std::unique_ptr<SimGateway> sim_gateway;
  std::unique_ptr<FixGateway> fix_gateway;
  Strategy strategy;
  JournalWriter journal;
  // Each stage's heartbeat, the strategy's published figures.
  StageHeartbeats heartbeats;
  std::unique_ptr<StrategyTelemetry> telemetry;
  bool log_records = false;  // journal records an operator cares about also go to the log
  bool log_post = false;     // ... queued (the journal is drained on the feed thread: deterministic)
  // The kill switch: the caller's control queue, or one fed by SIGUSR1/SIGUSR2 (and /admin).
  std::unique_ptr<ControlQueue> own_control;
  ControlQueue* control;
  // Declared last: stopped and destroyed before everything it reads.
  std::unique_ptr<OpsRuntime> ops;

  Pipeline(const Config& c, const ReplayOptions& opt, JournalResume resume, bool use_fix = false)
      : cfg(c),
        symbols(c.symbol_names()),
        decoder(decoder_options(c.feed, opt.latency != nullptr)),
        log(log_level_of(c.ops)),
        sim_venue(use_fix ? nullptr
                          : std::make_unique<SimVenue>(c.sim, symbols.size(), static_cast<std::size_t>(c.book.levels))),
        fix_venue(use_fix ? make_fix_venue(c, log) : nullptr),
        sim_gateway(use_fix ? nullptr
                            : std::make_unique<SimGateway>(c.risk, *sim_venue, *ring_b, *ring_c, c.threads.gateway_wait)),
        fix_gateway(use_fix ? std::make_unique<FixGateway>(c.risk, *fix_venue, *ring_b, *ring_c, c.threads.gateway_wait)
                            : nullptr),
        // The FIX venue does not fill against the feed's book tops: the strategy keeps them.
        strategy(c, symbols, *ring_b, *ring_c, *ring_d, /*forward_book_tops=*/!use_fix,
                 opt.mode == ReplayMode::Deterministic && !use_fix ? SettleFn{sim_gateway.get(), &drain_gateway}
                                                                   : SettleFn{}),
        journal(opt.journal_path, symbols, c.journal.fsync, std::move(resume)) {
    const auto max_msg = static_cast<std::size_t>(c.feed.max_message_bytes);
    if (c.venue_format == VenueFormat::Coinbase)
      coinbase = std::make_unique<feed::CoinbaseNormalizer>(symbols, norm_stats, max_msg);
    else
      binance = std::make_unique<feed::BinanceNormalizer>(symbols, norm_stats, max_msg);
    if (c.book.enabled) {
      // The simulated venue's book fill model rebuilds the book from the level events.
      const bool emit_levels = !use_fix && c.sim.fill_model == FillModel::Book;
      const auto levels = static_cast<std::size_t>(c.book.levels);
      if (binance) {
        binance->enable_depth();
        const auto buffer = static_cast<std::size_t>(c.book.buffer_diffs);
        binance_book = std::make_unique<feed::BookFeed<feed::BinanceBookSync>>(
            symbols.size(), emit_levels, [&](SymbolId) {
              return std::make_unique<feed::BinanceBookSync>(feed::BookChain::Auto, levels, buffer);
            });
      } else {
        coinbase->enable_depth();
        coinbase_book = std::make_unique<feed::BookFeed<feed::CoinbaseBookSync>>(
            symbols.size(), emit_levels, [&](SymbolId) { return std::make_unique<feed::CoinbaseBookSync>(levels); });
      }
    }
    if (c.live.present && c.venue_format == VenueFormat::Binance)
      overlap = std::make_unique<feed::OverlapFilter>(symbols.size());
    strategy.set_latency(opt.latency);
    with_gateway([&](auto& g) { g.set_latency(opt.latency); });
    control = opt.control;
    if (control == nullptr) {
      own_control = std::make_unique<ControlQueue>(/*process_signals=*/true);
      control = own_control.get();
    }
    if (opt.mode == ReplayMode::Threaded) {
      if (c.threads.gateway_wait == WaitKind::Blocking) strategy.set_gateway_wake(&gateway_wake);
      if (c.threads.strategy_wait == WaitKind::Blocking)
        with_gateway([&](auto& g) { g.set_strategy_wake(&strategy_wake); });
    }
  }

  static std::unique_ptr<fix::FixVenue> make_fix_venue(const Config& c, EventLog& log) {
    try {
      return std::make_unique<fix::FixVenue>(c.fix, c.symbol_names(), c.sim.taker_fee_bps,
                                             static_cast<std::size_t>(c.risk.max_open_orders), &log);
    } catch (const std::runtime_error& e) {
      throw RunError(e.what());
    }
  }

  // Calls f with the gateway this run has (OrderGateway<SimVenue> or <FixVenue>).
  template <typename F>
  void with_gateway(F&& f) {
    if (fix_gateway) f(*fix_gateway);
    else f(*sim_gateway);
  }
  const GatewayStats& gateway_stats() const { return fix_gateway ? fix_gateway->stats() : sim_gateway->stats(); }

  // The order books for a stage of this normalizer (null: none).
  template <typename Normalizer>
  auto book_for() noexcept {
    if constexpr (std::is_same_v<Normalizer, feed::BinanceNormalizer>) return binance_book.get();
    else return coinbase_book.get();
  }
  // The order books' counters, whichever venue keeps them (null without [book]).
  const feed::BookFeedBase* books() const noexcept {
    if (binance_book) return binance_book.get();
    return coinbase_book.get();
  }

  void open_capture(const std::string& path) {
    std::string err;
    if (!decoder.open(path, err)) throw RunError("cannot read capture '" + path + "': " + err);
  }

  // The operations side (ops/): the monitor thread, and the HTTP endpoint when the config has
  // [ops]. Started before any output is written, so an endpoint that cannot listen changes nothing.
  void start_ops(const ReplayOptions& opt) {
    telemetry = std::make_unique<StrategyTelemetry>(symbols.size());
    strategy.set_telemetry(telemetry.get());
    log_records = true;
    log_post = opt.mode == ReplayMode::Deterministic;
    EngineParts parts{cfg,         symbols,     *telemetry,  norm_stats, gateway_stats(), overlap.get(),
                      opt.latency, *ring_a,     *ring_b,     *ring_c,    *ring_d,         journal,
                      heartbeats,  *control,    log,             fix_venue.get(), books(), opt.resume};
    try {
      ops = std::make_unique<OpsRuntime>(parts, opt.ops_endpoint);
    } catch (const std::runtime_error& e) {
      throw RunError(e.what());
    }
  }

  // Everything is checked and the first capture is open: the outputs take their place (nothing
  // that existed was changed before this point).
  void start(const ReplayOptions& opt) {
    if (opt.dump_messages_path) dump = std::make_unique<feed::MessageDump>(*opt.dump_messages_path);
    journal.start();
  }

  void drain_journal() {
    JournalRecord r;
    while (ring_d->try_pop(r)) {
      journal.write(r);
      if (log_records) log_journal_record(log, r, symbols, log_post);
    }
  }
};

// Operator commands between two market events in deterministic mode. A resumed run first applies
// the commands its journal holds, each after as many events as when it was taken; commands that
// arrive meanwhile wait until the run has caught up with the journal, so the replayed prefix is
// exactly the one written.
struct CommandPoll {
  Pipeline& p;
  ControlQueue& control;
  const std::vector<JournaledCommand>& journaled;
  std::size_t next = 0;
  void operator()() noexcept {
    while (next < journaled.size() && journaled[next].events == p.strategy.market_events())
      p.strategy.apply_control(journaled[next++].command);
    if (next == journaled.size() && p.journal.unverified() == 0) p.strategy.poll_control(control);
  }
};

// Deterministic mode: the feed's sink runs the rest of the pipeline to completion for each event
// (the strategy settles every order it sends with the gateway before it goes on, SPEC §6).
struct DirectSink {
  Pipeline& p;
  CommandPoll& commands;
  void on_event(const MarketEvent& ev) noexcept {
    commands();
    p.strategy.on_market(ev);
    p.drain_journal();
  }
};

constexpr uint32_t kControlPollEvents = 64;

const std::atomic<int>& stop_flag_of(const ReplayOptions& opt) {
  return opt.stop != nullptr ? *opt.stop : process_signals::stop_flag();
}

feed::ReplayPacer pacer_of(const ReplayOptions& opt, StageHeartbeat& feed_heartbeat) {
  feed::ReplayPacer pacer =
      opt.packet_rate > 0 ? feed::ReplayPacer::fixed_rate(opt.packet_rate) : feed::ReplayPacer(opt.speed);
  pacer.set_cancel(&stop_flag_of(opt));
  pacer.set_heartbeat(&feed_heartbeat);
  return pacer;
}

// Threaded mode: the feed thread only publishes (and wakes a blocked strategy).
struct RingSink {
  EventRing& ring;
  WaitKind wait;
  EventCount* wake;  // null unless the strategy blocks
  void on_event(const MarketEvent& ev) noexcept { push_wait(ring, ev, wait, wake); }
};

// Names, pins and (optionally) raises the calling stage thread; what the machine refuses becomes
// a warning in the report, never an error.
void place_thread(const char* name, int cpu, int fifo_priority, std::vector<std::string>& warnings,
                  std::mutex& mu) {
  name_current_thread(name);
  std::string err = pin_current_thread(cpu);
  if (!err.empty()) err = std::string(name) + " thread runs unpinned: " + err;
  std::string fifo = set_current_thread_fifo(fifo_priority);
  if (!fifo.empty()) fifo = std::string(name) + " thread: " + fifo;
  if (err.empty() && fifo.empty()) return;
  const std::lock_guard<std::mutex> lock(mu);
  if (!err.empty()) warnings.push_back(err);
  if (!fifo.empty()) warnings.push_back(fifo);
}

// Before the stages start: locked memory, and a warning when busy-spinning stages would leave
// the machine no CPU of its own.
void prepare_machine(const ThreadsConfig& tc, std::vector<std::string>& warnings) {
  if (tc.lock_memory) {
    if (std::string err = lock_process_memory(); !err.empty()) warnings.push_back(err);
  }
  const int busy = (tc.feed_wait == WaitKind::BusySpin) + (tc.strategy_wait == WaitKind::BusySpin) +
                   (tc.gateway_wait == WaitKind::BusySpin);
  // The CPUs the stages can run on: the process's mask (where an unpinned stage runs) and every CPU
  // a stage pins itself to, which may lie outside that mask (a unit whose CPUAffinity= keeps the
  // housekeeping threads off the isolated stage cores: deploy/systemd/).
  std::vector<int> cpus = allowed_cpus();
  for (const int c : {tc.feed_cpu, tc.strategy_cpu, tc.gateway_cpu})
    if (c >= 0 && std::find(cpus.begin(), cpus.end(), c) == cpus.end()) cpus.push_back(c);
  if (std::string w = placement_warning(busy, static_cast<int>(cpus.size())); !w.empty()) warnings.push_back(w);
}

// The byte sources the feed stage runs on. Each gives the stage its bytes (`bytes()`, a CaptureDecoder
// or a LiveFeed) and drives it until the source ends, a stop is requested, or `keep_going()` says no.
// Everything else - threads, rings, placement, journal, shutdown - is the same for every source.
struct CaptureSource {
  Pipeline& p;
  const std::vector<std::string>& captures;  // the first is open already (run_replay opens it)
  feed::CaptureDecoder& bytes() noexcept { return p.decoder; }
  const feed::LiveFeedGroup* live_group() const noexcept { return nullptr; }
  const feed::DecodeStats& decode_stats() const noexcept { return p.decoder.stats(); }
  template <typename Stage, typename KeepGoing>
  void drive(Stage& stage, const std::atomic<int>& stop, KeepGoing&& keep_going) {
    for (std::size_t i = 0; i < captures.size() && stop.load(std::memory_order_relaxed) == 0; ++i) {
      if (i != 0) p.open_capture(captures[i]);
      // A stop request is honoured between packets: every event of the last packet is complete.
      while (stop.load(std::memory_order_relaxed) == 0 && stage.step() && keep_going()) {
      }
      if (!keep_going()) return;
    }
  }
};

// `Bytes`: the feed group itself, or a SnapshotInjector around it (live Binance with [book]).
template <typename Bytes>
struct LiveSource {
  feed::LiveFeedGroup& feed;
  Bytes& source_bytes;
  std::atomic<int>* duration_over;  // set when --duration has passed
  double duration_seconds;          // 0: until stopped
  const feed::DecodeStats& stats;    // the connection's framing counters
  Bytes& bytes() noexcept { return source_bytes; }
  const feed::LiveFeedGroup* live_group() const noexcept { return &feed; }
  const feed::DecodeStats& decode_stats() const noexcept { return stats; }
  template <typename Stage, typename KeepGoing>
  void drive(Stage& stage, const std::atomic<int>& stop, KeepGoing&& keep_going) {
    const auto end = std::chrono::steady_clock::now() +
                     std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                         std::chrono::duration<double>(duration_seconds > 0 ? duration_seconds : 1e9));
    auto stopped = [&] {
      if (stop.load(std::memory_order_relaxed) != 0) return true;
      if (std::chrono::steady_clock::now() < end) return false;
      duration_over->store(1, std::memory_order_relaxed);
      return true;
    };
    while (!stopped() && stage.step() && keep_going()) {
    }
    feed.close();  // a close frame: the venue sees a clean goodbye
    if (!feed.fatal_error().empty()) throw RunError(feed.fatal_error());
  }
};

// Starts a stage thread with the stop and kill-switch signals blocked in it, so they are delivered
// to the calling thread, the journal writer (core/threads/process_signals.hpp).
// (A thread inherits the mask of the thread that starts it: blocked from its first instruction.)
template <typename Fn>
std::thread stage_thread(Fn&& fn) {
  sigset_t old;
  pthread_sigmask(SIG_SETMASK, nullptr, &old);
  process_signals::block_in_this_thread();
  std::thread t(std::forward<Fn>(fn));
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  return t;
}

template <typename Normalizer, typename Source>
uint64_t run_deterministic(Pipeline& p, Normalizer& normalizer, Source& source, const ReplayOptions& opt,
                           ControlQueue& control, const std::vector<JournaledCommand>& journaled) {
  CommandPoll commands{p, control, journaled};
  DirectSink sink{p, commands};
  using Bytes = std::remove_reference_t<decltype(source.bytes())>;
  feed::FeedStage<Normalizer, DirectSink, Bytes> stage(source.bytes(), normalizer, p.dump.get(), sink, pacer_of(opt, p.heartbeats[Stage::Feed]),
                                                       opt.latency);
  stage.on_warm(opt.probe.warm, opt.probe.ctx, opt.probe.warm_after_messages);
  stage.set_overlap_filter(p.overlap.get());
  stage.set_book(p.template book_for<Normalizer>());
  // A journal failure stops the run; the caller reports it. One thread runs every stage: its
  // heartbeat is the feed's.
  StageHeartbeat& beat = p.heartbeats[Stage::Feed];
  beat.present.store(1, std::memory_order_relaxed);
  source.drive(stage, stop_flag_of(opt), [&]() noexcept {
    beat.beat();
    p.strategy.publish_if_due();
    return !p.journal.failed();
  });
  commands();
  if (opt.cancel_open_at_end) p.strategy.cancel_open_orders();
  p.strategy.send_end_of_data();
  p.sim_gateway->drain();  // deterministic runs keep the simulated venue
  p.strategy.drain_exec();
  p.strategy.checkpoint();
  p.strategy.publish();
  p.drain_journal();
  return stage.events();
}

// A test hook (tests/app/ops_test.cpp): TICKPIPE_TEST_STALL=<stage>:<after>:<ms> makes that stage
// of a threaded run sleep `ms` once, after `after` times round its loop, so the monitor's stall
// detection can be tested on the real binary. Read once, before the stages start.
struct StallHook {
  int stage = -1;  // a Stage, or -1: off
  uint64_t after = 0;
  int64_t ms = 0;
  bool fired = false;
  static StallHook from_environment() {
    StallHook h;
    const char* v = std::getenv("TICKPIPE_TEST_STALL");
    if (v == nullptr) return h;
    const std::string text(v);
    const std::size_t a = text.find(':');
    const std::size_t b = a == std::string::npos ? a : text.find(':', a + 1);
    if (b == std::string::npos) return h;
    for (std::size_t i = 0; i < kStageCount; ++i)
      if (text.compare(0, a, kStageNames[i]) == 0) h.stage = static_cast<int>(i);
    h.after = std::strtoull(text.c_str() + a + 1, nullptr, 10);
    h.ms = std::strtoll(text.c_str() + b + 1, nullptr, 10);
    return h;
  }
  // Called by stage `s` each time round its loop.
  void at(Stage s, uint64_t& count) noexcept {
    if (stage != static_cast<int>(s) || fired || ++count < after) return;
    fired = true;
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
  }
};

template <typename Normalizer, typename Source>
uint64_t run_threaded(Pipeline& p, Normalizer& normalizer, Source& source, const ReplayOptions& opt,
                      ControlQueue& control, std::vector<std::string>& warnings) {
  const ThreadsConfig& tc = p.cfg.threads;
  std::mutex warn_mu;
  std::atomic<bool> feed_done{false};
  std::atomic<bool> strategy_done{false};
  std::atomic<uint64_t> events{0};
  std::string feed_error;

  prepare_machine(tc, warnings);
  const std::atomic<int>& stop = stop_flag_of(opt);
  EventCount* strategy_wake = tc.strategy_wait == WaitKind::Blocking ? &p.strategy_wake : nullptr;

  // Each stage hook is touched by its own thread only.
  StallHook strategy_hook = StallHook::from_environment();
  StallHook gateway_hook = strategy_hook;
  StallHook feed_hook = strategy_hook;
  StallHook journal_hook = strategy_hook;

  std::thread strategy = stage_thread([&] {
    place_thread("tp-strategy", tc.strategy_cpu, tc.sched_fifo_priority, warnings, warn_mu);
    StageHeartbeat& beat = p.heartbeats[Stage::Strategy];
    beat.present.store(1, std::memory_order_relaxed);
    uint64_t loops = 0;
    Waiter w(tc.strategy_wait, strategy_wake);
    // A blocked strategy sleeps until the feed or the gateway has something for it.
    auto has_work = [&]() noexcept {
      return !p.ring_a->empty() || !p.ring_c->empty() || feed_done.load(std::memory_order_acquire);
    };
    MarketEvent ev;
    bool eod_sent = false;
    uint32_t since_poll = 0;
    for (;;) {
      beat.beat();
      strategy_hook.at(Stage::Strategy, loops);
      if (p.ring_a->try_pop(ev)) {
        // Operator commands are taken between events, every kControlPollEvents events and
        // whenever the ring is empty, so a burst of market data cannot delay the kill switch long.
        // The figures for operators are published at the same points (at most once a ms).
        if (++since_poll == kControlPollEvents) {
          since_poll = 0;
          p.strategy.poll_control(control);
          p.strategy.publish_if_due();
        }
        p.strategy.on_market(ev);
        w.reset();
        continue;
      }
      p.strategy.poll_control(control);
      p.strategy.drain_exec();
      p.strategy.publish_if_due();
      // feed_done is read before the final emptiness check so no event published before it
      // can be missed.
      if (feed_done.load(std::memory_order_acquire) && p.ring_a->empty()) {
        if (!eod_sent) {
          if (opt.cancel_open_at_end) p.strategy.cancel_open_orders();
          p.strategy.send_end_of_data();
          eod_sent = true;
        }
        if (p.strategy.end_of_data_acknowledged()) break;
        // Waiting for the gateway's end-of-data acknowledgement (ring C).
        w.idle_until([&]() noexcept { return !p.ring_c->empty(); });
        continue;
      }
      w.idle_until(has_work);
    }
    p.strategy.checkpoint();
    p.strategy.publish();
    strategy_done.store(true, std::memory_order_release);
  });

  std::thread gateway = stage_thread([&] {
    place_thread("tp-gateway", tc.gateway_cpu, tc.sched_fifo_priority, warnings, warn_mu);
    Waiter w(tc.gateway_wait, tc.gateway_wait == WaitKind::Blocking ? &p.gateway_wake : nullptr);
    StageHeartbeat& beat = p.heartbeats[Stage::Gateway];
    beat.present.store(1, std::memory_order_relaxed);
    uint64_t loops = 0;
    // A FIX venue is polled every time round (its socket); a blocked gateway looks at it at
    // least every Waiter::kBlockTimeout (docs/fix.md: use busy_spin for the lowest latency).
    p.with_gateway([&](auto& g) {
      while (!g.end_of_data()) {
        beat.beat();
        gateway_hook.at(Stage::Gateway, loops);
        const std::size_t n = g.drain();
        if (g.poll() || n != 0) {
          w.reset();
        } else {
          w.idle_until([&]() noexcept { return !p.ring_b->empty(); });
        }
      }
    });
  });

  // The producer starts last: its consumers are running (and the start-up allocations of the
  // threads are done) before the first event.
  std::thread feed = stage_thread([&] {
    place_thread("tp-feed", tc.feed_cpu, tc.sched_fifo_priority, warnings, warn_mu);
    RingSink sink{*p.ring_a, tc.feed_wait, strategy_wake};
    using Bytes = std::remove_reference_t<decltype(source.bytes())>;
    feed::FeedStage<Normalizer, RingSink, Bytes> stage(source.bytes(), normalizer, p.dump.get(), sink, pacer_of(opt, p.heartbeats[Stage::Feed]),
                                                       opt.latency);
    stage.on_warm(opt.probe.warm, opt.probe.ctx, opt.probe.warm_after_messages);
    stage.set_overlap_filter(p.overlap.get());
    stage.set_book(p.template book_for<Normalizer>());
    StageHeartbeat& beat = p.heartbeats[Stage::Feed];
    beat.present.store(1, std::memory_order_relaxed);
    uint64_t loops = 0;
    try {
      source.drive(stage, stop, [&]() noexcept {
        beat.beat();
        feed_hook.at(Stage::Feed, loops);
        return true;
      });
    } catch (const std::exception& e) {
      feed_error = e.what();
    }
    events.store(stage.events(), std::memory_order_relaxed);
    feed_done.store(true, std::memory_order_release);
    if (strategy_wake != nullptr) strategy_wake->notify();
  });

  // The calling thread is the journal writer (the monitor role): off the hot path, it sleeps
  // between batches and flushes each batch to the kernel.
  StageHeartbeat& journal_beat = p.heartbeats[Stage::Journal];
  journal_beat.present.store(1, std::memory_order_relaxed);
  uint64_t journal_loops = 0;
  for (;;) {
    journal_beat.beat();
    journal_hook.at(Stage::Journal, journal_loops);
    const bool done = strategy_done.load(std::memory_order_acquire);
    p.drain_journal();
    p.journal.flush();
    if (done) break;
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  feed.join();
  strategy.join();
  gateway.join();
  p.drain_journal();
  if (!feed_error.empty()) throw RunError(feed_error);
  return events.load(std::memory_order_relaxed);
}

}  // namespace

bool parse_speed(const std::string& text, double& out) {
  if (text == "max") {
    out = 0;
    return true;
  }
  if (text == "realtime") {
    out = 1;
    return true;
  }
  if (text.size() < 2 || text.back() != 'x') return false;
  const std::string num = text.substr(0, text.size() - 1);
  // Digits with at most one '.', no sign or exponent: what a user types for a speed factor.
  std::size_t dots = 0;
  for (const char c : num) {
    if (c == '.') ++dots;
    else if (c < '0' || c > '9') return false;
  }
  if (dots > 1 || num.front() == '.' || num.back() == '.') return false;
  const double v = std::stod(num);
  if (!(v > 0) || v > 1e9) return false;
  out = v;
  return true;
}

namespace {

// The run itself, the same for every source: the control queue, the stages in the mode asked for,
// the journal's last flush, and the report of what happened.
template <typename Source>
RunReport run_on(Pipeline& pl, Source& source, const ReplayOptions& opt, const std::vector<JournaledCommand>& journaled) {
  Pipeline* p = &pl;
  RunReport rep;
  ControlQueue* control = p->control;
  if (p->ops) {
    p->ops->attach_source(&source.decode_stats(), source.live_group());
    p->ops->running();
  }
  const auto t0 = std::chrono::steady_clock::now();
  auto run = [&](auto& normalizer) {
    return opt.mode == ReplayMode::Deterministic
               ? run_deterministic(*p, normalizer, source, opt, *control, journaled)
               : run_threaded(*p, normalizer, source, opt, *control, rep.warnings);
  };
  rep.events = p->coinbase ? run(*p->coinbase) : run(*p->binance);
  if (p->ops) p->ops->stopping();
  if (opt.probe.stages_done != nullptr) opt.probe.stages_done(opt.probe.ctx);
  rep.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (const int sig = stop_flag_of(opt).load(std::memory_order_acquire); sig != 0) {
    rep.interrupted_by = process_signals::signal_name(sig);
    p->journal.flush_and_sync();  // a stop by signal: on disk before the process goes
  } else {
    p->journal.flush();
  }
  p->journal.throw_if_failed();
  if (p->dump) p->dump->close();
  if (const std::size_t left = p->journal.unverified(); left != 0)
    throw JournalMismatch("journal '" + opt.journal_path + "' holds " + std::to_string(left) +
                          " more lines than this replay produces (was it written with another capture?)");

  rep.mode = opt.mode == ReplayMode::Deterministic ? "deterministic" : "threaded";
  rep.config_path = opt.config_path;
  rep.journal_path = opt.journal_path;
  rep.journal_records = p->journal.records();
  rep.resumed_records = opt.resume ? p->journal.records() - p->journal.appended() : 0;
  rep.fills = p->strategy.fills();
  rep.fills_overtaken = p->strategy.fills_overtaken();
  rep.open_orders_at_end = p->strategy.open_orders();
  rep.engine_clock_ns = p->strategy.clock();
  rep.final_state = p->strategy.state();
  rep.state_history = p->strategy.state_history();
  rep.state_changes = p->strategy.state_changes();
  rep.max_drawdown = p->strategy.max_drawdown();
  rep.day_pnl = p->strategy.day_pnl();
  rep.decode = source.decode_stats();
  rep.overlap_dropped = p->overlap ? p->overlap->dropped() : 0;
  rep.book_levels = p->books() != nullptr ? p->cfg.book.levels : 0;
  rep.normalize = p->norm_stats;
  rep.gateway = p->gateway_stats();
  for (SymbolId id = 0; id < p->symbols.size(); ++id) {
    SymbolReport s;
    s.name = p->symbols.name(id);
    s.position = p->strategy.book()[id];
    s.mark = p->strategy.book().mark(id);
    s.unrealized = p->strategy.book().unrealized(id);
    s.stats = p->strategy.stats(id);
    s.stale_at_end = p->strategy.stale(id, p->strategy.last_receive_ns());
    if (const feed::BookFeedBase* books = p->books()) s.book = books->counters(id);
    if (p->sim_venue && p->sim_venue->book_model()) s.slippage = p->sim_venue->slippage(id);
    rep.symbols.push_back(std::move(s));
  }
  return rep;
}

}  // namespace

RunReport run_replay(const Config& cfg, const ReplayOptions& opt) {
  if (opt.captures.empty()) throw RunError("no capture to replay");
  if (opt.resume && opt.mode != ReplayMode::Deterministic)
    throw ConfigError("--resume needs --mode deterministic: only a deterministic replay can reproduce the journal");
  JournalResume resume;
  if (opt.resume) {
    try {
      resume = prepare_resume(opt.journal_path);
    } catch (const NotAJournal& e) {
      throw UsageError(e.what());
    }
  }
  const std::vector<JournaledCommand> journaled = resume.commands;
  auto p = std::make_unique<Pipeline>(cfg, opt, std::move(resume));
  // A bad first capture fails here, before any output replaces what was there.
  p->open_capture(opt.captures.front());
  // [ops] in a paced replay (SPEC 12): an as-fast-as-possible replay is over before anyone looks.
  // [cluster] in any replay: the instance takes part in the firm's limit and streams its journal.
  if (cfg.cluster.present || (cfg.ops.present && (opt.speed > 0 || opt.packet_rate > 0))) p->start_ops(opt);
  if (const int sig = stop_flag_of(opt).load(std::memory_order_acquire); sig != 0)
    throw StoppedBeforeStart(process_signals::signal_name(sig) + " before the run started: nothing was changed");
  p->start(opt);
  CaptureSource source{*p, opt.captures};
  RunReport rep = run_on(*p, source, opt, journaled);
  if (p->ops) p->ops->stop();
  rep.captures = opt.captures;
  return rep;
}

// Before the market data starts: the FIX session logs on (up to logon_timeout_ms), so the first
// decisions do not meet a session still connecting. On the calling thread: the gateway thread,
// which owns the venue from then on, does not exist yet. A session that is not up by then goes on
// trying from the gateway thread; orders meanwhile are refused (docs/fix.md).
static void wait_for_fix_logon(fix::FixVenue& v, int64_t timeout_ms, const std::atomic<int>& stop, EventLog& log) {
  const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (!v.session().logged_on() && stop.load(std::memory_order_relaxed) == 0 &&
         std::chrono::steady_clock::now() < end) {
    if (!v.poll([](const ExecReport&) noexcept {})) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  if (!v.session().logged_on()) {
    LogFields f;
    log.write(LogLevel::Warn, "fix_not_logged_on_at_start",
              f.add("waited_ms", timeout_ms).add("last_error", v.session().last_error()));
  }
}

static FixReport fix_report(const fix::FixVenue& v) {
  FixReport r;
  r.session = v.session().stats();
  r.framer = v.session().framer_stats();
  r.venue = v.stats();
  r.state = fix::fix_session_state_name(v.session().state());
  r.last_error = v.session().last_error();
  r.next_sender_seq = v.session().next_sender_seq();
  r.next_target_seq = v.session().next_target_seq();
  r.open_orders = v.open_orders();
  r.store_path = v.store().path();
  return r;
}

// [book] in a live session: the venue's depth stream must be subscribed, or no book can form.
static void check_live_book(const Config& cfg) {
  if (!cfg.book.enabled) return;
  const bool coinbase = cfg.venue_format == VenueFormat::Coinbase;
  for (const std::string& s : cfg.live.streams) {
    if (coinbase ? s.rfind("level2", 0) == 0 : s.rfind("depth", 0) == 0) return;
  }
  throw ConfigError(std::string("[book] keeps the order book from the venue's depth messages: add ") +
                    (coinbase ? "\"level2\"" : "\"depth@100ms\" (or \"depth\")") +
                    " to live.streams, or remove [book] (docs/order-book.md)");
}

// Where the depth snapshots come from: book.snapshot_url, or Binance's REST API for the feed's host
// (USD-M futures for fstream.binance.com, spot for the other Binance hosts).
static std::string snapshot_url_of(const Config& cfg, const WsUrl& live_url) {
  if (!cfg.book.snapshot_url.empty()) {
    // Checked now, before anything starts: as it will be fetched, with a symbol in it.
    std::string url = cfg.book.snapshot_url, why;
    for (std::size_t at; (at = url.find("{symbol}")) != std::string::npos;) url.replace(at, 8, "BTCUSDT");
    if (!parse_http_url(url, why)) throw ConfigError("book.snapshot_url \"" + cfg.book.snapshot_url + "\" " + why);
    return cfg.book.snapshot_url;
  }
  const std::string& h = live_url.host;
  if (h == "fstream.binance.com") return "https://fapi.binance.com/fapi/v1/depth?symbol={symbol}&limit=1000";
  if (h == "stream.binance.com" || h == "data-stream.binance.vision")
    return "https://api.binance.com/api/v3/depth?symbol={symbol}&limit=1000";
  throw ConfigError("[book] on a live Binance feed at " + h +
                    " needs book.snapshot_url: the REST URL of its depth snapshot, with {symbol} where the symbol "
                    "goes (docs/order-book.md)");
}

RunReport run_live(const Config& cfg, const ReplayOptions& opt, const LiveRunOptions& live) {
  if (!cfg.live.present) throw ConfigError("tickpipe live needs a [live] table with the venue's url (docs/configuration.md)");
  if (opt.resume) throw ConfigError("--resume replays a capture; a live session is continued by starting it again");
  const bool use_fix = cfg.exec.venue == ExecVenue::Fix;
  if (use_fix && opt.mode == ReplayMode::Deterministic)
    throw ConfigError("[exec] venue = \"fix\" needs --mode threaded: the acceptor's reports arrive on their own time");
  std::string why;
  const std::optional<WsUrl> url = parse_ws_url(cfg.live.url, why);
  if (!url) throw ConfigError("live.url " + why);
  check_live_book(cfg);
  // Binance books start from a REST snapshot the engine fetches (docs/order-book.md).
  const bool fetch_snapshots = cfg.book.enabled && cfg.venue_format == VenueFormat::Binance;
  const std::string snapshot_url = fetch_snapshots ? snapshot_url_of(cfg, *url) : std::string();
  std::unique_ptr<feed::TlsClientContext> tls;
  if (url->tls || snapshot_url.rfind("https://", 0) == 0) tls = std::make_unique<feed::TlsClientContext>(cfg.live.ca_file);

  feed::LiveFeedOptions lo;
  lo.connection.url = *url;
  lo.connection.offer_deflate = cfg.live.compression;
  lo.connection.framer.max_message_bytes = static_cast<std::size_t>(cfg.feed.max_message_bytes);
  lo.connection.framer.max_resync_bytes = 0;  // a live stream has no holes: TCP retransmits
  lo.stale_after_ms = cfg.live.stale_after_ms;
  lo.reconnect_min_ms = cfg.live.reconnect_min_ms;
  lo.reconnect_max_ms = cfg.live.reconnect_max_ms;
  // A server that accepts and then says nothing during the upgrade is silent like any other.
  lo.connect_timeout_ms = static_cast<int>(std::min<int64_t>(cfg.live.stale_after_ms, 10'000));
  lo.busy_poll = opt.mode == ReplayMode::Threaded && cfg.threads.feed_wait == WaitKind::BusySpin;
  const std::vector<std::string> names = cfg.symbol_names();
  // The subscribe messages of each connection: Coinbase takes every product on one; Binance at
  // most 1024 streams on one, so more are spread over several connections (SPEC 10.7).
  std::vector<std::vector<std::string>> subscribe;
  if (cfg.venue_format == VenueFormat::Coinbase) {
    subscribe.push_back({feed::coinbase_subscribe(names, cfg.live.streams)});
  } else {
    for (const auto& streams : feed::binance_streams_per_connection(names, cfg.live.streams))
      subscribe.push_back({feed::binance_subscribe(streams, 1)});
  }

  ReplayOptions run_opt = opt;
  run_opt.cancel_open_at_end = true;
  // A live session always measures its stages (a few TSC reads per event): /metrics shows them.
  std::unique_ptr<PipelineLatency> own_latency;
  if (run_opt.latency == nullptr) {
    TscClock::init();
    own_latency = std::make_unique<PipelineLatency>();
    run_opt.latency = own_latency.get();
  }
  lo.stamp_packets = true;
  auto p = std::make_unique<Pipeline>(cfg, run_opt, JournalResume{}, use_fix);
  p->start_ops(run_opt);
  lo.log = &p->log;
  lo.heartbeat = &p->heartbeats[Stage::Feed];
  if (const int sig = stop_flag_of(opt).load(std::memory_order_acquire); sig != 0)
    throw StoppedBeforeStart(process_signals::signal_name(sig) + " before the session started: nothing was changed");
  p->start(opt);
  if (p->fix_venue) wait_for_fix_logon(*p->fix_venue, cfg.fix.logon_timeout_ms, stop_flag_of(opt), p->log);
  std::unique_ptr<feed::SessionRecorder> recorder;
  // Two slots per connection (make-before-break), one for a fetched snapshot being recorded.
  if (!live.record_path.empty())
    recorder = std::make_unique<feed::SessionRecorder>(live.record_path, 2 * subscribe.size() + (fetch_snapshots ? 1 : 0));
  lo.recorder = recorder.get();
  feed::DecodeStats decode_stats;
  feed::LiveFeedGroup feed(lo, subscribe, tls.get(), &decode_stats);
  std::atomic<int> duration_over{0};
  std::unique_ptr<feed::DepthSnapshotFetcher> fetcher;
  if (fetch_snapshots) {
    feed::DepthSnapshotFetcherOptions fo;
    fo.url_template = snapshot_url;
    fo.timeout_ms = static_cast<int>(cfg.book.snapshot_timeout_ms);
    fo.retry_min_ms = cfg.live.reconnect_min_ms;
    fo.retry_max_ms = cfg.live.reconnect_max_ms;
    fo.log = &p->log;
    try {
      fetcher = std::make_unique<feed::DepthSnapshotFetcher>(fo, tls.get(), names);
    } catch (const std::invalid_argument& e) {
      throw ConfigError(std::string("book.snapshot_url: ") + e.what());
    }
    fetcher->start();
  }
  // The endpoint reads the feed's counters: it stops before they go, even on an exception.
  struct StopOps {
    Pipeline& p;
    ~StopOps() {
      if (p.ops) p.ops->stop();
    }
  } stop_ops{*p};
  RunReport rep;
  uint64_t book_resubscribes = 0;
  if (cfg.book.enabled && cfg.venue_format == VenueFormat::Coinbase) {
    // A lost Coinbase book comes back only with a new level2 subscription of its product.
    const auto channel = std::find_if(cfg.live.streams.begin(), cfg.live.streams.end(),
                                      [](const std::string& c) { return c.rfind("level2", 0) == 0; });
    feed::BookResubscriber<feed::LiveFeedGroup> resubscriber(feed, *p->books(), names, *channel,
                                                             cfg.book.snapshot_timeout_ms, &p->log);
    LiveSource<feed::BookResubscriber<feed::LiveFeedGroup>> source{feed, resubscriber, &duration_over,
                                                                   live.duration_seconds, decode_stats};
    rep = run_on(*p, source, run_opt, {});
    book_resubscribes = resubscriber.resubscribes();
  } else if (fetcher) {
    feed::SnapshotInjector<feed::LiveFeedGroup> injector(feed, *fetcher, *p->books(), recorder.get());
    LiveSource<feed::SnapshotInjector<feed::LiveFeedGroup>> source{feed, injector, &duration_over,
                                                                   live.duration_seconds, decode_stats};
    rep = run_on(*p, source, run_opt, {});
  } else {
    LiveSource<feed::LiveFeedGroup> source{feed, feed, &duration_over, live.duration_seconds, decode_stats};
    rep = run_on(*p, source, run_opt, {});
  }
  uint64_t fetches = 0, fetch_failures = 0;
  std::string fetch_error;
  if (fetcher) {
    fetches = fetcher->counters().fetches_ok;
    fetch_failures = fetcher->counters().fetch_failures;
    fetch_error = fetcher->last_error();
    fetcher.reset();  // stops its thread
  }
  if (recorder && !recorder->close()) throw RunError("cannot write --record '" + live.record_path + "'");
  rep.live = LiveReport{cfg.live.url, feed.stats(), feed.last_error(), duration_over.load() != 0, feed.size(),
                        fetches, fetch_failures, fetch_error, book_resubscribes};
  if (p->fix_venue) rep.fix = fix_report(*p->fix_venue);
  return rep;
}


}  // namespace tp
