// BinanceNormalizer and CoinbaseNormalizer against plain JSON parsers, on real recorded messages
// (tests/data/binance/, tests/data/coinbase/).
//
// Every benchmark reads the same fields of the same messages:
//   bookTicker:       data.u, data.s, data.b, data.B, data.a, data.A
//   trade:            data.e, data.E, data.s, data.t, data.p, data.q, data.m
//   Coinbase ticker:  type, sequence, product_id, best_bid, best_ask, time (2021 recording: no sizes)
//   Coinbase match:   type, trade_id, side, size, price, product_id, time
// The baselines only parse and read them (strings as views, integers as uint64); the normalizer also
// converts the decimals exactly, looks up the symbol, validates and counts.
//
// `allocs_per_msg` counts global operator new calls inside the timed loop (hot path: must be 0 for
// the normalizer).
#include <benchmark/benchmark.h>
#include <simdjson.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <new>
#include <nlohmann/json.hpp>
#include <rapidjson/document.h>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "feed/binance_normalizer.hpp"
#include "feed/coinbase_normalizer.hpp"
#include "bench/counting_allocator.hpp"


namespace {

using tp::feed::kPayloadPadding;
using tp::feed::Message;

// Messages of one stream from the spot recording, each in its own padded buffer.
struct Corpus {
  std::vector<std::string> bufs;  // payload + kPayloadPadding spaces
  std::vector<Message> msgs;
  std::size_t bytes = 0;
};

Corpus load(std::string_view stream_suffix) {
  const std::string path = std::string(TP_SOURCE_DIR) + "/tests/data/binance/spot_btcusdt_20240808_head400.txt";
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open " + path);
  Corpus c;
  std::string line;
  std::vector<int64_t> ts;
  while (std::getline(in, line)) {
    const auto sp = line.find(' ');
    const std::string payload = line.substr(sp + 1);
    if (payload.find(std::string("\"stream\":\"btcusdt@") + std::string(stream_suffix) + "\"") == std::string::npos) continue;
    c.bufs.push_back(payload + std::string(kPayloadPadding, ' '));
    ts.push_back(std::stoll(line.substr(0, sp)));
    c.bytes += payload.size();
  }
  for (std::size_t i = 0; i < c.bufs.size(); ++i)
    c.msgs.push_back(Message{c.bufs[i].data(), c.bufs[i].size() - kPayloadPadding, ts[i]});
  if (c.msgs.empty()) throw std::runtime_error("no messages");
  return c;
}

// Coinbase messages of one "type" from the 2021 Coinbase Pro recording.
Corpus load_coinbase(std::string_view type) {
  const std::string path = std::string(TP_SOURCE_DIR) + "/tests/data/coinbase/coinbase_pro_20210417_selected.txt";
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open " + path);
  Corpus c;
  std::string line;
  std::vector<int64_t> ts;
  const std::string needle = std::string("{\"type\":\"") + std::string(type) + "\"";
  while (std::getline(in, line)) {
    const auto sp = line.find(' ');
    const std::string payload = line.substr(sp + 1);
    if (payload.rfind(needle, 0) != 0) continue;
    c.bufs.push_back(payload + std::string(kPayloadPadding, ' '));
    ts.push_back(std::stoll(line.substr(0, sp)));
    c.bytes += payload.size();
  }
  for (std::size_t i = 0; i < c.bufs.size(); ++i)
    c.msgs.push_back(Message{c.bufs[i].data(), c.bufs[i].size() - kPayloadPadding, ts[i]});
  if (c.msgs.empty()) throw std::runtime_error("no messages");
  return c;
}

const Corpus& cb_tickers() {
  static const Corpus c = load_coinbase("ticker");
  return c;
}
const Corpus& cb_matches() {
  static const Corpus c = load_coinbase("match");
  return c;
}

const Corpus& book_tickers() {
  static const Corpus c = load("bookTicker");
  return c;
}
const Corpus& trades() {
  static const Corpus c = load("trade");
  return c;
}

template <typename F>
void run(benchmark::State& state, const Corpus& c, F&& per_message) {
  std::size_t i = 0;
  uint64_t failures = 0;
  const uint64_t allocs0 = tp::bench::allocations();
  for (auto _ : state) {
    if (!per_message(c.msgs[i])) ++failures;
    if (++i == c.msgs.size()) i = 0;
  }
  const uint64_t allocs = tp::bench::allocations() - allocs0;
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * (c.bytes / c.msgs.size())));
  state.counters["allocs_per_msg"] = static_cast<double>(allocs) / static_cast<double>(state.iterations());
  state.counters["ns_per_msg"] = benchmark::Counter(static_cast<double>(state.iterations()),
                                                    benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  if (failures != 0) state.SkipWithError("a message failed");
}

// ---- BinanceNormalizer -------------------------------------------------------------------------

void normalizer(benchmark::State& state, const Corpus& c) {
  tp::SymbolTable symbols({"BTCUSDT", "ETHUSDT"});
  tp::feed::NormalizerStats stats;
  tp::feed::BinanceNormalizer norm(symbols, stats);
  tp::MarketEvent ev{};
  run(state, c, [&](const Message& m) {
    const bool ok = norm.normalize(m, ev);
    benchmark::DoNotOptimize(ev);
    return ok;
  });
  if (stats.dropped() != 0) state.SkipWithError("drops");
}
void BM_Normalizer_BookTicker(benchmark::State& s) { normalizer(s, book_tickers()); }
void BM_Normalizer_Trade(benchmark::State& s) { normalizer(s, trades()); }

// ---- simdjson On-Demand, plain: parse and read the fields, in document order -----------------

struct BookFields {
  uint64_t u;
  std::string_view s, b, B, a, A;
};
struct TradeFields {
  std::string_view e, s, p, q;
  uint64_t E, t;
  bool m;
};

void ondemand_book(benchmark::State& state) {
  simdjson::ondemand::parser parser;
  if (parser.allocate(1 << 20)) state.SkipWithError("alloc");
  BookFields f{};
  run(state, book_tickers(), [&](const Message& m) {
    simdjson::ondemand::document doc;
    if (parser.iterate(m.data, m.size, m.size + kPayloadPadding).get(doc)) return false;
    simdjson::ondemand::object d;
    if (doc["data"].get_object().get(d)) return false;
    if (d["u"].get_uint64().get(f.u) || d["s"].get_string().get(f.s) || d["b"].get_string().get(f.b) ||
        d["B"].get_string().get(f.B) || d["a"].get_string().get(f.a) || d["A"].get_string().get(f.A))
      return false;
    benchmark::DoNotOptimize(f);
    return true;
  });
}
void ondemand_trade(benchmark::State& state) {
  simdjson::ondemand::parser parser;
  if (parser.allocate(1 << 20)) state.SkipWithError("alloc");
  TradeFields f{};
  run(state, trades(), [&](const Message& m) {
    simdjson::ondemand::document doc;
    if (parser.iterate(m.data, m.size, m.size + kPayloadPadding).get(doc)) return false;
    simdjson::ondemand::object d;
    if (doc["data"].get_object().get(d)) return false;
    if (d["e"].get_string().get(f.e) || d["E"].get_uint64().get(f.E) || d["s"].get_string().get(f.s) ||
        d["t"].get_uint64().get(f.t) || d["p"].get_string().get(f.p) || d["q"].get_string().get(f.q) ||
        d["m"].get_bool().get(f.m))
      return false;
    benchmark::DoNotOptimize(f);
    return true;
  });
}

// ---- simdjson DOM --------------------------------------------------------------------------------

void dom_book(benchmark::State& state) {
  simdjson::dom::parser parser;
  if (parser.allocate(1 << 20)) state.SkipWithError("alloc");
  BookFields f{};
  run(state, book_tickers(), [&](const Message& m) {
    simdjson::dom::element doc;
    if (parser.parse(m.data, m.size, false).get(doc)) return false;
    simdjson::dom::object d;
    if (doc["data"].get_object().get(d)) return false;
    if (d["u"].get_uint64().get(f.u) || d["s"].get_string().get(f.s) || d["b"].get_string().get(f.b) ||
        d["B"].get_string().get(f.B) || d["a"].get_string().get(f.a) || d["A"].get_string().get(f.A))
      return false;
    benchmark::DoNotOptimize(f);
    return true;
  });
}
void dom_trade(benchmark::State& state) {
  simdjson::dom::parser parser;
  if (parser.allocate(1 << 20)) state.SkipWithError("alloc");
  TradeFields f{};
  run(state, trades(), [&](const Message& m) {
    simdjson::dom::element doc;
    if (parser.parse(m.data, m.size, false).get(doc)) return false;
    simdjson::dom::object d;
    if (doc["data"].get_object().get(d)) return false;
    if (d["e"].get_string().get(f.e) || d["E"].get_uint64().get(f.E) || d["s"].get_string().get(f.s) ||
        d["t"].get_uint64().get(f.t) || d["p"].get_string().get(f.p) || d["q"].get_string().get(f.q) ||
        d["m"].get_bool().get(f.m))
      return false;
    benchmark::DoNotOptimize(f);
    return true;
  });
}

// ---- RapidJSON (DOM, default allocator; parser reused across messages) ---------------------------

std::string_view rj_str(const rapidjson::Value& v) { return {v.GetString(), v.GetStringLength()}; }

void rapidjson_book(benchmark::State& state) {
  rapidjson::Document doc;
  BookFields f{};
  run(state, book_tickers(), [&](const Message& m) {
    doc.Parse(m.data, m.size);
    if (doc.HasParseError()) return false;
    // (HasMember + operator[] rather than FindMember: comparing member iterators is ambiguous in C++20.)
    if (!doc.IsObject() || !doc.HasMember("data") || !doc["data"].IsObject()) return false;
    const rapidjson::Value& d = doc["data"];
    f.u = d["u"].GetUint64();
    f.s = rj_str(d["s"]);
    f.b = rj_str(d["b"]);
    f.B = rj_str(d["B"]);
    f.a = rj_str(d["a"]);
    f.A = rj_str(d["A"]);
    benchmark::DoNotOptimize(f);
    return true;
  });
}
void rapidjson_trade(benchmark::State& state) {
  rapidjson::Document doc;
  TradeFields f{};
  run(state, trades(), [&](const Message& m) {
    doc.Parse(m.data, m.size);
    if (doc.HasParseError()) return false;
    // (HasMember + operator[] rather than FindMember: comparing member iterators is ambiguous in C++20.)
    if (!doc.IsObject() || !doc.HasMember("data") || !doc["data"].IsObject()) return false;
    const rapidjson::Value& d = doc["data"];
    f.e = rj_str(d["e"]);
    f.E = d["E"].GetUint64();
    f.s = rj_str(d["s"]);
    f.t = d["t"].GetUint64();
    f.p = rj_str(d["p"]);
    f.q = rj_str(d["q"]);
    f.m = d["m"].GetBool();
    benchmark::DoNotOptimize(f);
    return true;
  });
}

// ---- nlohmann::json --------------------------------------------------------------------------------

void nlohmann_book(benchmark::State& state) {
  run(state, book_tickers(), [&](const Message& m) {
    const auto j = nlohmann::json::parse(m.data, m.data + m.size, nullptr, false);
    if (j.is_discarded()) return false;
    const auto& d = j["data"];
    BookFields f{};
    f.u = d["u"].get<uint64_t>();
    f.s = d["s"].get_ref<const std::string&>();
    f.b = d["b"].get_ref<const std::string&>();
    f.B = d["B"].get_ref<const std::string&>();
    f.a = d["a"].get_ref<const std::string&>();
    f.A = d["A"].get_ref<const std::string&>();
    benchmark::DoNotOptimize(f);
    return true;
  });
}
void nlohmann_trade(benchmark::State& state) {
  run(state, trades(), [&](const Message& m) {
    const auto j = nlohmann::json::parse(m.data, m.data + m.size, nullptr, false);
    if (j.is_discarded()) return false;
    const auto& d = j["data"];
    TradeFields f{};
    f.e = d["e"].get_ref<const std::string&>();
    f.E = d["E"].get<uint64_t>();
    f.s = d["s"].get_ref<const std::string&>();
    f.t = d["t"].get<uint64_t>();
    f.p = d["p"].get_ref<const std::string&>();
    f.q = d["q"].get_ref<const std::string&>();
    f.m = d["m"].get<bool>();
    benchmark::DoNotOptimize(f);
    return true;
  });
}

// ---- Coinbase --------------------------------------------------------------------------------------

const std::vector<std::string> kCoinbaseProducts = {"BAND-GBP", "BAND-BTC", "YFI-BTC", "NU-GBP",  "CRV-EUR",
                                                    "SKL-GBP",  "SKL-USD",  "SKL-BTC", "NMR-EUR", "DASH-BTC"};

void cb_normalizer(benchmark::State& state, const Corpus& c) {
  tp::SymbolTable symbols(kCoinbaseProducts);
  tp::feed::NormalizerStats stats;
  tp::feed::CoinbaseNormalizer norm(symbols, stats);
  tp::MarketEvent ev{};
  run(state, c, [&](const Message& m) {
    const bool ok = norm.normalize(m, ev);
    benchmark::DoNotOptimize(ev);
    return ok;
  });
  if (stats.dropped() != 0) state.SkipWithError("drops");
}
void BM_Normalizer_CoinbaseTicker(benchmark::State& s) { cb_normalizer(s, cb_tickers()); }
void BM_Normalizer_CoinbaseMatch(benchmark::State& s) { cb_normalizer(s, cb_matches()); }

struct CbTickerFields {
  std::string_view type, product_id, best_bid, best_ask, time;
  uint64_t sequence;
};
struct CbMatchFields {
  std::string_view type, side, size, price, product_id, time;
  uint64_t trade_id;
};

// In document order: type, sequence, product_id, ..., best_bid, best_ask, ..., time.
void cb_ondemand_ticker(benchmark::State& state) {
  simdjson::ondemand::parser parser;
  if (parser.allocate(1 << 20)) state.SkipWithError("alloc");
  CbTickerFields f{};
  run(state, cb_tickers(), [&](const Message& m) {
    simdjson::ondemand::document doc;
    if (parser.iterate(m.data, m.size, m.size + kPayloadPadding).get(doc)) return false;
    simdjson::ondemand::object o;
    if (doc.get_object().get(o)) return false;
    if (o["type"].get_string().get(f.type) || o["sequence"].get_uint64().get(f.sequence) ||
        o["product_id"].get_string().get(f.product_id) || o["best_bid"].get_string().get(f.best_bid) ||
        o["best_ask"].get_string().get(f.best_ask) || o["time"].get_string().get(f.time))
      return false;
    benchmark::DoNotOptimize(f);
    return true;
  });
}
// In document order: type, trade_id, ..., side, size, price, product_id, ..., time.
void cb_ondemand_match(benchmark::State& state) {
  simdjson::ondemand::parser parser;
  if (parser.allocate(1 << 20)) state.SkipWithError("alloc");
  CbMatchFields f{};
  run(state, cb_matches(), [&](const Message& m) {
    simdjson::ondemand::document doc;
    if (parser.iterate(m.data, m.size, m.size + kPayloadPadding).get(doc)) return false;
    simdjson::ondemand::object o;
    if (doc.get_object().get(o)) return false;
    if (o["type"].get_string().get(f.type) || o["trade_id"].get_uint64().get(f.trade_id) ||
        o["side"].get_string().get(f.side) || o["size"].get_string().get(f.size) ||
        o["price"].get_string().get(f.price) || o["product_id"].get_string().get(f.product_id) ||
        o["time"].get_string().get(f.time))
      return false;
    benchmark::DoNotOptimize(f);
    return true;
  });
}

void cb_dom_ticker(benchmark::State& state) {
  simdjson::dom::parser parser;
  if (parser.allocate(1 << 20)) state.SkipWithError("alloc");
  CbTickerFields f{};
  run(state, cb_tickers(), [&](const Message& m) {
    simdjson::dom::element doc;
    if (parser.parse(m.data, m.size, false).get(doc)) return false;
    simdjson::dom::object o;
    if (doc.get_object().get(o)) return false;
    if (o["type"].get_string().get(f.type) || o["sequence"].get_uint64().get(f.sequence) ||
        o["product_id"].get_string().get(f.product_id) || o["best_bid"].get_string().get(f.best_bid) ||
        o["best_ask"].get_string().get(f.best_ask) || o["time"].get_string().get(f.time))
      return false;
    benchmark::DoNotOptimize(f);
    return true;
  });
}
void cb_dom_match(benchmark::State& state) {
  simdjson::dom::parser parser;
  if (parser.allocate(1 << 20)) state.SkipWithError("alloc");
  CbMatchFields f{};
  run(state, cb_matches(), [&](const Message& m) {
    simdjson::dom::element doc;
    if (parser.parse(m.data, m.size, false).get(doc)) return false;
    simdjson::dom::object o;
    if (doc.get_object().get(o)) return false;
    if (o["type"].get_string().get(f.type) || o["trade_id"].get_uint64().get(f.trade_id) ||
        o["side"].get_string().get(f.side) || o["size"].get_string().get(f.size) ||
        o["price"].get_string().get(f.price) || o["product_id"].get_string().get(f.product_id) ||
        o["time"].get_string().get(f.time))
      return false;
    benchmark::DoNotOptimize(f);
    return true;
  });
}

void cb_rapidjson_ticker(benchmark::State& state) {
  rapidjson::Document doc;
  CbTickerFields f{};
  run(state, cb_tickers(), [&](const Message& m) {
    doc.Parse(m.data, m.size);
    if (doc.HasParseError() || !doc.IsObject()) return false;
    f.type = rj_str(doc["type"]);
    f.sequence = doc["sequence"].GetUint64();
    f.product_id = rj_str(doc["product_id"]);
    f.best_bid = rj_str(doc["best_bid"]);
    f.best_ask = rj_str(doc["best_ask"]);
    f.time = rj_str(doc["time"]);
    benchmark::DoNotOptimize(f);
    return true;
  });
}
void cb_rapidjson_match(benchmark::State& state) {
  rapidjson::Document doc;
  CbMatchFields f{};
  run(state, cb_matches(), [&](const Message& m) {
    doc.Parse(m.data, m.size);
    if (doc.HasParseError() || !doc.IsObject()) return false;
    f.type = rj_str(doc["type"]);
    f.trade_id = doc["trade_id"].GetUint64();
    f.side = rj_str(doc["side"]);
    f.size = rj_str(doc["size"]);
    f.price = rj_str(doc["price"]);
    f.product_id = rj_str(doc["product_id"]);
    f.time = rj_str(doc["time"]);
    benchmark::DoNotOptimize(f);
    return true;
  });
}

void cb_nlohmann_ticker(benchmark::State& state) {
  run(state, cb_tickers(), [&](const Message& m) {
    const auto j = nlohmann::json::parse(m.data, m.data + m.size, nullptr, false);
    if (j.is_discarded()) return false;
    CbTickerFields f{};
    f.type = j["type"].get_ref<const std::string&>();
    f.sequence = j["sequence"].get<uint64_t>();
    f.product_id = j["product_id"].get_ref<const std::string&>();
    f.best_bid = j["best_bid"].get_ref<const std::string&>();
    f.best_ask = j["best_ask"].get_ref<const std::string&>();
    f.time = j["time"].get_ref<const std::string&>();
    benchmark::DoNotOptimize(f);
    return true;
  });
}
void cb_nlohmann_match(benchmark::State& state) {
  run(state, cb_matches(), [&](const Message& m) {
    const auto j = nlohmann::json::parse(m.data, m.data + m.size, nullptr, false);
    if (j.is_discarded()) return false;
    CbMatchFields f{};
    f.type = j["type"].get_ref<const std::string&>();
    f.trade_id = j["trade_id"].get<uint64_t>();
    f.side = j["side"].get_ref<const std::string&>();
    f.size = j["size"].get_ref<const std::string&>();
    f.price = j["price"].get_ref<const std::string&>();
    f.product_id = j["product_id"].get_ref<const std::string&>();
    f.time = j["time"].get_ref<const std::string&>();
    benchmark::DoNotOptimize(f);
    return true;
  });
}

}  // namespace

BENCHMARK(BM_Normalizer_BookTicker);
BENCHMARK(ondemand_book)->Name("BM_SimdjsonOndemand_BookTicker");
BENCHMARK(dom_book)->Name("BM_SimdjsonDom_BookTicker");
BENCHMARK(rapidjson_book)->Name("BM_RapidJson_BookTicker");
BENCHMARK(nlohmann_book)->Name("BM_Nlohmann_BookTicker");
BENCHMARK(BM_Normalizer_Trade);
BENCHMARK(ondemand_trade)->Name("BM_SimdjsonOndemand_Trade");
BENCHMARK(dom_trade)->Name("BM_SimdjsonDom_Trade");
BENCHMARK(rapidjson_trade)->Name("BM_RapidJson_Trade");
BENCHMARK(nlohmann_trade)->Name("BM_Nlohmann_Trade");
BENCHMARK(BM_Normalizer_CoinbaseTicker);
BENCHMARK(cb_ondemand_ticker)->Name("BM_SimdjsonOndemand_CoinbaseTicker");
BENCHMARK(cb_dom_ticker)->Name("BM_SimdjsonDom_CoinbaseTicker");
BENCHMARK(cb_rapidjson_ticker)->Name("BM_RapidJson_CoinbaseTicker");
BENCHMARK(cb_nlohmann_ticker)->Name("BM_Nlohmann_CoinbaseTicker");
BENCHMARK(BM_Normalizer_CoinbaseMatch);
BENCHMARK(cb_ondemand_match)->Name("BM_SimdjsonOndemand_CoinbaseMatch");
BENCHMARK(cb_dom_match)->Name("BM_SimdjsonDom_CoinbaseMatch");
BENCHMARK(cb_rapidjson_match)->Name("BM_RapidJson_CoinbaseMatch");
BENCHMARK(cb_nlohmann_match)->Name("BM_Nlohmann_CoinbaseMatch");

BENCHMARK_MAIN();
