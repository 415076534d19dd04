// The QuickFIX peers of bench/fix_codec_bench.cpp, compiled as C++14: QuickFIX 1.15.1's headers
// use dynamic exception specifications (`throw(FieldConvertError)`), which C++17 removed. Written
// as an expert user would: one message object reused, header fields set once, only what changes
// set per order, toString into a reused std::string; the parse reuses one FIX::Message and checks
// BodyLength and CheckSum (validate = true, no data dictionary, as ours).
#include <benchmark/benchmark.h>

#include <quickfix/Message.h>
#include <quickfix/fix44/ExecutionReport.h>
#include <quickfix/fix44/NewOrderSingle.h>

#include <cstdint>
#include <string>

// A fill, built with QuickFIX itself so both parsers read the same valid bytes.
std::string quickfix_execution_report() {
  // Built with QuickFIX itself, so both parsers read the same, valid bytes.
  FIX44::ExecutionReport er(FIX::OrderID("O-1"), FIX::ExecID("E-17"), FIX::ExecType('F'), FIX::OrdStatus('2'),
                            FIX::Side('2'), FIX::LeavesQty(0), FIX::CumQty(0.15), FIX::AvgPx(61837.63));
  er.getHeader().setField(FIX::SenderCompID("EXECUTOR"));
  er.getHeader().setField(FIX::TargetCompID("CLIENT1"));
  er.getHeader().setField(FIX::MsgSeqNum(1234));
  er.getHeader().setField(FIX::SendingTime());
  er.setField(FIX::ClOrdID("tp-1-42"));
  er.setField(FIX::Symbol("BTCUSDT"));
  er.setField(FIX::LastQty(0.15));
  er.setField(FIX::LastPx(61837.63));
  er.setField(FIX::Commission(9.27564));
  er.setField(FIX::CommType('3'));
  er.setField(FIX::OrderQty(0.15));
  return er.toString();
}

void quickfix_encode_new_order_single(benchmark::State& state, uint64_t (*allocations)(), std::size_t& bytes) {
  (void)allocations;
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
  for (auto _ : state) {
    clordid[14] = static_cast<char>('0' + seq % 10);
    nos.getHeader().setField(FIX::MsgSeqNum(static_cast<int>(seq)));
    nos.getHeader().setField(FIX::SendingTime());
    nos.setField(FIX::ClOrdID(clordid));
    nos.setField(FIX::TransactTime());
    nos.setField(FIX::OrderQty(0.15));
    nos.toString(out);
    benchmark::DoNotOptimize(out.data());
    ++seq;
  }
  bytes = out.size();
}

void quickfix_parse_execution_report(benchmark::State& state, const std::string& wire) {
  FIX::Message msg;
  double total = 0;
  FIX::LastQty qty;
  FIX::LastPx px;
  FIX::Commission fee;
  FIX::ExecID id;
  FIX::ClOrdID cl;
  FIX::ExecType type;
  for (auto _ : state) {
    msg.setString(wire, /*validate=*/true);
    msg.getField(qty);
    msg.getField(px);
    msg.getField(fee);
    msg.getField(id);
    msg.getField(cl);
    msg.getField(type);
    total += qty.getValue() + px.getValue() + fee.getValue() + static_cast<double>(id.getValue().size() + cl.getValue().size());
  }
  benchmark::DoNotOptimize(total);
}
