// The FIX 4.4 codec (exec/fix/) against QuickFIX (Debian libquickfix-dev 1.15.1), the library a user
// would pick, on the two messages of the hot path:
//   - encode a NewOrderSingle (market IOC, as the gateway sends a profit take): header with
//     CompIDs, MsgSeqNum and SendingTime, ClOrdID, Symbol, Side, TransactTime, OrderQty, OrdType,
//     TimeInForce, BodyLength and CheckSum;
//   - parse an ExecutionReport (a fill: ExecType F with LastQty, LastPx, Commission) from its bytes,
//     checking BodyLength and CheckSum, and read the fields the engine needs.
// The QuickFIX peers are written as an expert would: one message object reused (header fields set
// once, only what changes set per order), toString into a reused std::string; the parse reuses one
// FIX::Message and validates BodyLength and CheckSum like ours (no data dictionary: ours has none).
// Counters: ns per message (real time), allocations per message (global operator new).
//
// QuickFIX 1.15.1's headers use dynamic exception specifications, which C++17 removed: its peers
// live in bench/fix_codec_quickfix_peers.cpp, compiled as C++14, and meet this file through the
// declarations below.
#include <benchmark/benchmark.h>

#include <string>

#include "bench/counting_allocator.hpp"
#include "exec/fix/fix_encoder.hpp"
#include "exec/fix/fix_framer.hpp"
#include "exec/fix/fix_message.hpp"

// bench/fix_codec_quickfix_peers.cpp
std::string quickfix_execution_report();
void quickfix_encode_new_order_single(benchmark::State& state, uint64_t (*allocations)(), std::size_t& bytes);
void quickfix_parse_execution_report(benchmark::State& state, const std::string& wire);

namespace {

uint64_t allocations() { return tp::bench::allocations(); }

constexpr int64_t kNow = 1796450462345000000;  // 2026-12-05 06:01:02.345 UTC

void counters(benchmark::State& state, uint64_t allocs, std::size_t bytes) {
  const auto iters = static_cast<double>(state.iterations());
  state.counters["ns_per_msg"] = benchmark::Counter(iters, benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.counters["allocs_per_msg"] = static_cast<double>(allocs) / iters;
  state.counters["bytes"] = static_cast<double>(bytes);
}

void BM_EncodeNewOrderSingle_Tickpipe(benchmark::State& state) {
  tp::fix::FixEncoder enc("CLIENT1", "EXECUTOR");
  uint64_t seq = 1;
  char clordid[24] = "tp-1-0000000000";
  std::size_t bytes = 0;
  const uint64_t a0 = tp::bench::allocations();
  for (auto _ : state) {
    clordid[14] = static_cast<char>('0' + seq % 10);
    const std::string_view m = enc.new_order_single(seq, kNow + static_cast<int64_t>(seq) * 1000, clordid, "BTCUSDT",
                                                    tp::Side::Sell, tp::OrderType::Market, 15'000'000, 0);
    benchmark::DoNotOptimize(m.data());
    bytes = m.size();
    ++seq;
  }
  counters(state, tp::bench::allocations() - a0, bytes);
}

void BM_EncodeNewOrderSingle_QuickFIX(benchmark::State& state) {
  std::size_t bytes = 0;
  const uint64_t a0 = allocations();
  quickfix_encode_new_order_single(state, &allocations, bytes);
  counters(state, allocations() - a0, bytes);
}

void BM_ParseExecutionReport_QuickFIX(benchmark::State& state) {
  const std::string wire = quickfix_execution_report();
  const uint64_t a0 = allocations();
  quickfix_parse_execution_report(state, wire);
  counters(state, allocations() - a0, wire.size());
}

void BM_ParseExecutionReport_Tickpipe(benchmark::State& state) {
  const std::string wire = quickfix_execution_report();
  tp::fix::FixFramer framer;
  tp::fix::FixMessage msg;
  tp::Fixed total = 0;
  const uint64_t a0 = tp::bench::allocations();
  for (auto _ : state) {
    framer.feed(wire.data(), wire.size(), [&](std::string_view m) {
      if (!msg.parse(m)) return;
      const auto qty = msg.get_fixed(tp::fix::tag::LastQty);
      const auto px = msg.get_fixed(tp::fix::tag::LastPx);
      const auto fee = msg.get_fixed(tp::fix::tag::Commission);
      const auto id = msg.get(tp::fix::tag::ExecID);
      const auto cl = msg.get(tp::fix::tag::ClOrdID);
      total += *qty + *px + *fee + static_cast<tp::Fixed>(id->size() + cl->size() + msg.get_char(tp::fix::tag::ExecType));
    });
  }
  benchmark::DoNotOptimize(total);
  if (framer.stats().messages != static_cast<uint64_t>(state.iterations())) state.SkipWithError("a message was not parsed");
  counters(state, tp::bench::allocations() - a0, wire.size());
}

}  // namespace

BENCHMARK(BM_EncodeNewOrderSingle_Tickpipe);
BENCHMARK(BM_EncodeNewOrderSingle_QuickFIX);
BENCHMARK(BM_ParseExecutionReport_Tickpipe);
BENCHMARK(BM_ParseExecutionReport_QuickFIX);

BENCHMARK_MAIN();
