// The QuickFIX peers of bench/fix_codec_bench.cpp, compiled as C++14: QuickFIX 1.15.1's headers
// use dynamic exception specifications (`throw(FieldConvertError)`), which C++17 removed.
//
// Written as an expert user would, given the same inputs as ours:
//   - encode: one FIX44::NewOrderSingle reused for every order; the fields that do not change
//     (SenderCompID, TargetCompID, Symbol, Side, OrdType, TimeInForce) set once, outside the
//     loop; per order only MsgSeqNum, SendingTime, ClOrdID, TransactTime and OrderQty are set
//     (typed fields, as QuickFIX's API has them: OrderQty a double), and toString(std::string&)
//     writes into one reused std::string (it computes BodyLength and CheckSum). The timestamp is
//     the caller's, like ours (no clock read): the date and time of day are broken down with
//     gmtime_r once a second, as ours does, and FIX::UtcTimeStamp(tm*, ms, 3) built from them;
//     it is converted to text once and that text set as both SendingTime and TransactTime, with
//     milliseconds (precision 3) as ours writes.
//   - parse: one FIX::Message reused; setString(wire, validate = true), which checks BodyLength
//     and CheckSum as our FixFramer does, without a DataDictionary (its fastest mode; ours has
//     none either) - and, as a second peer, with the FIX44.xml DataDictionary loaded once outside
//     the loop (how a QuickFIX Session with UseDataDictionary=Y parses); then the same six fields
//     ours reads, through typed getField (LastQty, LastPx, Commission to double; ExecID, ClOrdID
//     strings; ExecType char).
#include <benchmark/benchmark.h>

#include <quickfix/DataDictionary.h>
#include <quickfix/Message.h>
#include <quickfix/fix44/ExecutionReport.h>
#include <quickfix/fix44/NewOrderSingle.h>
#include <time.h>

#include <cstdint>
#include <string>

namespace {

// 2026-12-05 06:01:02.345 UTC, as in bench/fix_codec_bench.cpp.
constexpr int64_t kWireNs = 1796450462345000000;

FIX::UtcTimeStamp utc_ms(int64_t ns) {
  const time_t sec = static_cast<time_t>(ns / 1000000000);
  tm parts{};
  gmtime_r(&sec, &parts);
  return FIX::UtcTimeStamp(&parts, static_cast<int>(ns / 1000000 % 1000), 3);
}

}  // namespace

// A fill as a venue sends it, built with QuickFIX itself so both parsers read the same, valid
// bytes (millisecond SendingTime and TransactTime, fixed so every run parses the same bytes).
std::string quickfix_execution_report() {
  FIX44::ExecutionReport er(FIX::OrderID("O-1"), FIX::ExecID("E-17"), FIX::ExecType('F'), FIX::OrdStatus('2'),
                            FIX::Side('2'), FIX::LeavesQty(0), FIX::CumQty(0.15), FIX::AvgPx(61837.63));
  er.getHeader().setField(FIX::SenderCompID("EXECUTOR"));
  er.getHeader().setField(FIX::TargetCompID("CLIENT1"));
  er.getHeader().setField(FIX::MsgSeqNum(1234));
  er.getHeader().setField(FIX::SendingTime(utc_ms(kWireNs), 3));
  er.setField(FIX::ClOrdID("tp-1-42"));
  er.setField(FIX::Symbol("BTCUSDT"));
  er.setField(FIX::LastQty(0.15));
  er.setField(FIX::LastPx(61837.63));
  er.setField(FIX::Commission(9.27564));
  er.setField(FIX::CommType('3'));
  er.setField(FIX::OrderQty(0.15));
  er.setField(FIX::TransactTime(utc_ms(kWireNs - 2000000), 3));
  return er.toString();
}

void quickfix_encode_new_order_single(benchmark::State& state, int64_t now_ns, std::size_t& bytes) {
  FIX44::NewOrderSingle nos;
  nos.getHeader().setField(FIX::SenderCompID("CLIENT1"));
  nos.getHeader().setField(FIX::TargetCompID("EXECUTOR"));
  nos.setField(FIX::Symbol("BTCUSDT"));
  nos.setField(FIX::Side('2'));
  nos.setField(FIX::OrdType('1'));
  nos.setField(FIX::TimeInForce('3'));
  std::string out;
  uint64_t seq = 1;
  std::string clordid = "tp-1-0000000000";
  int64_t cached_second = -1;
  tm parts{};
  for (auto _ : state) {
    clordid[14] = static_cast<char>('0' + seq % 10);
    const int64_t ns = now_ns + static_cast<int64_t>(seq) * 1000;  // as ours is given
    const int64_t second = ns / 1000000000;
    if (second != cached_second) {
      const time_t t = static_cast<time_t>(second);
      gmtime_r(&t, &parts);
      cached_second = second;
    }
    const FIX::SendingTime sending(FIX::UtcTimeStamp(&parts, static_cast<int>(ns / 1000000 % 1000), 3), 3);
    nos.getHeader().setField(FIX::MsgSeqNum(static_cast<int>(seq)));
    nos.getHeader().setField(sending);
    nos.setField(FIX::ClOrdID(clordid));
    nos.setField(FIX::FIELD::TransactTime, sending.getString());
    nos.setField(FIX::OrderQty(0.15));
    nos.toString(out);
    benchmark::DoNotOptimize(out.data());
    ++seq;
  }
  bytes = out.size();
}

namespace {

void parse_execution_report(benchmark::State& state, const std::string& wire, const FIX::DataDictionary* dd) {
  FIX::Message msg;
  double total = 0;
  FIX::LastQty qty;
  FIX::LastPx px;
  FIX::Commission fee;
  FIX::ExecID id;
  FIX::ClOrdID cl;
  FIX::ExecType type;
  for (auto _ : state) {
    msg.setString(wire, /*validate=*/true, dd);
    msg.getField(qty);
    msg.getField(px);
    msg.getField(fee);
    msg.getField(id);
    msg.getField(cl);
    msg.getField(type);
    total += qty.getValue() + px.getValue() + fee.getValue() +
             static_cast<double>(id.getValue().size() + cl.getValue().size() + static_cast<unsigned char>(type.getValue()));
  }
  benchmark::DoNotOptimize(total);
}

}  // namespace

void quickfix_parse_execution_report(benchmark::State& state, const std::string& wire) {
  parse_execution_report(state, wire, nullptr);
}

// tests/data/fix/FIX44.xml, loaded on the first call (the bench calls this before it counts).
const FIX::DataDictionary& quickfix_fix44_dictionary() {
  static const FIX::DataDictionary dd(TP_SOURCE_DIR "/tests/data/fix/FIX44.xml");
  return dd;
}

void quickfix_parse_execution_report_dictionary(benchmark::State& state, const std::string& wire) {
  parse_execution_report(state, wire, &quickfix_fix44_dictionary());
}
