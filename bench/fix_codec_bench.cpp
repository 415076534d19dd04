// The FIX 4.4 codec (exec/fix/) against QuickFIX (Debian libquickfix-dev 1.15.1), the library a user
// would pick, on the two messages of the hot path:
//   - encode a NewOrderSingle (market IOC, as the gateway sends a profit take): header with
//     CompIDs, MsgSeqNum and SendingTime, ClOrdID, Symbol, Side, TransactTime, OrderQty, OrdType,
//     TimeInForce, BodyLength and CheckSum;
//   - parse an ExecutionReport (a fill: ExecType F with LastQty, LastPx, Commission) from its bytes,
//     checking BodyLength and CheckSum, and read the fields the engine needs.
// The QuickFIX peers (bench/fix_codec_quickfix_peers.cpp, which says exactly what each does) are
// written as an expert would: one message object reused (header fields set once, only what changes
// set per order), the same timestamp input as ours (no clock read), toString into a reused
// std::string; the parse reuses one FIX::Message and validates BodyLength and CheckSum like our
// framer, without a data dictionary (its fastest mode; ours has none) and, as a second peer, with
// the FIX44.xml one loaded once. Ours parses from the bytes through FixFramer (which checks
// BodyLength and CheckSum) and FixMessage; BM_ParseExecutionReport_TickpipeNoFramer is
// FixMessage::parse alone, for reference.
// Counters: ns_per_msg (CPU time per message: Google Benchmark divides rates by CPU time),
// allocs_per_msg (global operator new calls per message), bytes (the message's size).
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
void quickfix_encode_new_order_single(benchmark::State& state, int64_t now_ns, std::size_t& bytes);
void quickfix_parse_execution_report(benchmark::State& state, const std::string& wire);
void quickfix_parse_execution_report_dictionary(benchmark::State& state, const std::string& wire);
namespace FIX {
class DataDictionary;
}
const FIX::DataDictionary& quickfix_fix44_dictionary();

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
  quickfix_encode_new_order_single(state, kNow, bytes);
  counters(state, allocations() - a0, bytes);
}

void BM_ParseExecutionReport_QuickFIX(benchmark::State& state) {
  const std::string wire = quickfix_execution_report();
  const uint64_t a0 = allocations();
  quickfix_parse_execution_report(state, wire);
  counters(state, allocations() - a0, wire.size());
}

void BM_ParseExecutionReport_QuickFIX_DataDictionary(benchmark::State& state) {
  const std::string wire = quickfix_execution_report();
  quickfix_fix44_dictionary();  // loaded (and its allocations made) before counting starts
  const uint64_t a0 = allocations();
  quickfix_parse_execution_report_dictionary(state, wire);
  counters(state, allocations() - a0, wire.size());
}

// Six of the fields FixVenue::on_execution_report reads from a fill; QuickFIX's peer reads the same six.
tp::Fixed read_fill(const tp::fix::FixMessage& msg) {
  const auto qty = msg.get_fixed(tp::fix::tag::LastQty);
  const auto px = msg.get_fixed(tp::fix::tag::LastPx);
  const auto fee = msg.get_fixed(tp::fix::tag::Commission);
  const auto id = msg.get(tp::fix::tag::ExecID);
  const auto cl = msg.get(tp::fix::tag::ClOrdID);
  return *qty + *px + *fee +
         static_cast<tp::Fixed>(id->size() + cl->size() + static_cast<unsigned char>(msg.get_char(tp::fix::tag::ExecType)));
}

void BM_ParseExecutionReport_TickpipeNoFramer(benchmark::State& state) {
  const std::string wire = quickfix_execution_report();
  tp::fix::FixMessage msg;
  tp::Fixed total = 0;
  const uint64_t a0 = tp::bench::allocations();
  for (auto _ : state) {
    benchmark::DoNotOptimize(wire.data());
    if (!msg.parse(wire)) {
      state.SkipWithError("a message was not parsed");
      break;
    }
    total += read_fill(msg);
  }
  benchmark::DoNotOptimize(total);
  counters(state, tp::bench::allocations() - a0, wire.size());
}

void BM_ParseExecutionReport_Tickpipe(benchmark::State& state) {
  const std::string wire = quickfix_execution_report();
  tp::fix::FixFramer framer;
  tp::fix::FixMessage msg;
  tp::Fixed total = 0;
  uint64_t parsed = 0;
  const uint64_t a0 = tp::bench::allocations();
  for (auto _ : state) {
    framer.feed(wire.data(), wire.size(), [&](std::string_view m) {
      if (!msg.parse(m)) return;
      ++parsed;
      total += read_fill(msg);
    });
  }
  benchmark::DoNotOptimize(total);
  if (parsed != static_cast<uint64_t>(state.iterations())) state.SkipWithError("a message was not framed or parsed");
  counters(state, tp::bench::allocations() - a0, wire.size());
}

}  // namespace

BENCHMARK(BM_EncodeNewOrderSingle_Tickpipe);
BENCHMARK(BM_EncodeNewOrderSingle_QuickFIX);
BENCHMARK(BM_ParseExecutionReport_Tickpipe);
BENCHMARK(BM_ParseExecutionReport_QuickFIX);
BENCHMARK(BM_ParseExecutionReport_QuickFIX_DataDictionary);
BENCHMARK(BM_ParseExecutionReport_TickpipeNoFramer);

BENCHMARK_MAIN();
