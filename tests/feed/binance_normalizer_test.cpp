// BinanceNormalizer: every message type raw and combined, exact values from real recordings
// (tests/data/binance/, see SOURCE.md), every drop reason, SPEC §9.9 number grammar, and a replay of
// all recorded lines checked field by field against an independent JSON parser (nlohmann::json).
#include "feed/binance_normalizer.hpp"
#include "feed_test_util.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace tp::feed {
namespace {

using T = BinanceMessageType;

const std::string kDataDir = std::string(TP_TEST_DATA_DIR) + "/binance/";

using test::Line;
using test::OwnedMessage;

std::vector<Line> load(const std::string& file) { return test::load_recording(kDataDir + file); }

// The first recorded line whose payload contains `needle`.
Line find_line(const std::string& file, std::string_view needle) {
  for (Line& l : load(file))
    if (l.payload.find(needle) != std::string::npos) return l;
  ADD_FAILURE() << "no line with " << needle << " in " << file;
  return {};
}

// The "data" object of a combined-stream payload as its own raw-stream message (byte-exact slice).
std::string raw_of(const std::string& combined) {
  const std::string key = "\"data\":";
  const auto at = combined.find(key);
  EXPECT_NE(at, std::string::npos);
  EXPECT_EQ(combined.back(), '}');
  return combined.substr(at + key.size(), combined.size() - 1 - (at + key.size()));
}

// `"` + text + `"`, by appending (GCC 12 -Wrestrict misfires on `"\"" + std::string(...)` at -O3).
std::string quoted(std::string_view text) {
  std::string q = "\"";
  q += text;
  q += '"';
  return q;
}

std::string replace_once(std::string s, std::string_view from, std::string_view to) {
  const auto at = s.find(from);
  EXPECT_NE(at, std::string::npos) << from << " not in " << s;
  if (at != std::string::npos) s.replace(at, from.size(), to);
  return s;
}

const std::vector<std::string> kSymbols = {"BTCUSDT", "NKNUSDT", "BLZETH", "LRCBTC", "RUNEEUR"};

class BinanceNormalizerTest : public ::testing::Test {
 protected:
  SymbolTable symbols{kSymbols};
  NormalizerStats stats;
  BinanceNormalizer norm{symbols, stats};

  // Normalizes `text`; returns the event if one was produced.
  std::optional<MarketEvent> run(std::string_view text, int64_t recv = 1'000) {
    OwnedMessage m(text, recv);
    MarketEvent ev{};
    if (!norm.normalize(m.msg(), ev)) return std::nullopt;
    return ev;
  }

  // Asserts that `text` is dropped for `reason` (and counted as `type`).
  void expect_drop(std::string_view text, DropReason reason, T type) {
    const NormalizerStats before = stats;
    EXPECT_FALSE(run(text).has_value()) << text;
    EXPECT_EQ(stats.drops[reason], before.drops[reason] + 1)
        << text << "\n  expected " << name_of(reason) << ", got drops total " << stats.dropped() - before.dropped();
    EXPECT_EQ(stats.dropped(), before.dropped() + 1) << text;
    EXPECT_EQ(stats.by_type[type], before.by_type[type] + 1) << text;
    EXPECT_EQ(stats.messages(), before.messages() + 1) << text;
  }
};

// ---------------------------------------------------------------------------------------------
// Exact values, read off the recorded text.

constexpr std::string_view kSpotBookTicker =
    R"({"stream":"btcusdt@bookTicker","data":{"u":50093239212,"s":"BTCUSDT","b":"61837.63000000","B":"3.78826000","a":"61837.64000000","A":"1.54698000"}})";
constexpr std::string_view kSpotTrade =
    R"({"stream":"btcusdt@trade","data":{"e":"trade","E":1723161255343,"s":"BTCUSDT","t":3735683259,"p":"61837.63000000","q":"0.02000000","T":1723161255342,"m":true,"M":true}})";

void expect_spot_book_ticker(const MarketEvent& ev, int64_t recv) {
  EXPECT_EQ(ev.kind, EventKind::BookTop);
  EXPECT_EQ(ev.symbol_id, 0u);
  EXPECT_EQ(ev.book.bid_px, 6'183'763'000'000);  // 61837.63000000
  EXPECT_EQ(ev.book.bid_qty, 378'826'000);       // 3.78826000
  EXPECT_EQ(ev.book.ask_px, 6'183'764'000'000);  // 61837.64000000
  EXPECT_EQ(ev.book.ask_qty, 154'698'000);       // 1.54698000
  EXPECT_EQ(ev.book.venue_seq, 50'093'239'212u);
  EXPECT_EQ(ev.recv_ts_ns, recv);
  EXPECT_EQ(ev.exch_ts_ns, recv);  // spot bookTicker carries no E: the receive time (SPEC §9.1)
}

TEST_F(BinanceNormalizerTest, SpotBookTickerCombined) {
  const Line l = find_line("spot_btcusdt_20240808_head400.txt", "\"u\":50093239212,");
  ASSERT_EQ(l.payload, kSpotBookTicker);
  ASSERT_EQ(l.recv_ts_ns, 1723161254087891268);
  const auto ev = run(l.payload, l.recv_ts_ns);
  ASSERT_TRUE(ev);
  expect_spot_book_ticker(*ev, 1723161254087891268);
  EXPECT_EQ(stats.by_type[T::BookTicker], 1u);
  EXPECT_EQ(stats.dropped(), 0u);
  EXPECT_EQ(norm.clock_only_ts_ns(), -1);
}

TEST_F(BinanceNormalizerTest, SpotBookTickerRaw) {
  const std::string raw = raw_of(std::string(kSpotBookTicker));
  ASSERT_EQ(raw.front(), '{');
  ASSERT_EQ(raw.find("stream"), std::string::npos);
  const auto ev = run(raw, 42);
  ASSERT_TRUE(ev);
  expect_spot_book_ticker(*ev, 42);
}

TEST_F(BinanceNormalizerTest, BookTickerAnyFieldOrderAndExtraFields) {
  const auto ev = run(
      R"({"data":{"x":[1,{"u":2}],"A":"1.54698000","a":"61837.64000000","B":"3.78826000","b":"61837.63000000","s":"BTCUSDT","u":50093239212},"stream":"btcusdt@bookTicker"})",
      7);
  ASSERT_TRUE(ev);
  expect_spot_book_ticker(*ev, 7);
  // Whitespace everywhere JSON allows it.
  const auto ev2 = run(
      " {\n \"stream\" : \"btcusdt@bookTicker\" ,\t\"data\" : { \"u\" : 50093239212 , \"s\" : \"BTCUSDT\" , "
      "\"b\" : \"61837.63000000\" , \"B\" : \"3.78826000\" , \"a\" : \"61837.64000000\" , \"A\" : \"1.54698000\" } } \n",
      7);
  ASSERT_TRUE(ev2);
  expect_spot_book_ticker(*ev2, 7);
}

TEST_F(BinanceNormalizerTest, FuturesBookTickerUsesE) {
  const Line l = find_line("usdm_btcusdt_20240808_head40.txt", "@bookTicker");
  ASSERT_EQ(l.payload,
            R"({"stream":"btcusdt@bookTicker","data":{"e":"bookTicker","u":5123107839020,"s":"BTCUSDT","b":"61800.20","B":"2.507","a":"61800.30","A":"2.510","T":1723161256313,"E":1723161256313}})");
  for (const std::string& text : {l.payload, raw_of(l.payload)}) {
    const auto ev = run(text, l.recv_ts_ns);
    ASSERT_TRUE(ev) << text;
    EXPECT_EQ(ev->kind, EventKind::BookTop);
    EXPECT_EQ(ev->book.bid_px, 6'180'020'000'000);
    EXPECT_EQ(ev->book.bid_qty, 250'700'000);
    EXPECT_EQ(ev->book.ask_px, 6'180'030'000'000);
    EXPECT_EQ(ev->book.ask_qty, 251'000'000);
    EXPECT_EQ(ev->book.venue_seq, 5'123'107'839'020u);
    EXPECT_EQ(ev->exch_ts_ns, 1'723'161'256'313'000'000);
    EXPECT_EQ(ev->recv_ts_ns, l.recv_ts_ns);
  }
}

TEST_F(BinanceNormalizerTest, TradeCombinedAndRaw) {
  const Line l = find_line("spot_btcusdt_20240808_head400.txt", "@trade");
  ASSERT_EQ(l.payload, kSpotTrade);
  for (const std::string& text : {l.payload, raw_of(l.payload)}) {
    const auto ev = run(text, l.recv_ts_ns);
    ASSERT_TRUE(ev) << text;
    EXPECT_EQ(ev->kind, EventKind::Trade);
    EXPECT_EQ(ev->symbol_id, 0u);
    EXPECT_EQ(ev->trade.px, 6'183'763'000'000);
    EXPECT_EQ(ev->trade.qty, 2'000'000);
    EXPECT_EQ(ev->trade.trade_id, 3'735'683'259u);
    EXPECT_EQ(ev->trade.aggressor, Side::Sell);  // m=true: buyer is maker, seller took
    EXPECT_EQ(ev->exch_ts_ns, 1'723'161'255'343'000'000);
    EXPECT_EQ(ev->recv_ts_ns, 1723161254087896568);
  }
  EXPECT_EQ(stats.by_type[T::Trade], 2u);
}

TEST_F(BinanceNormalizerTest, TradeBuyerAggressor) {
  const Line l = find_line("usdm_btcusdt_20240808_head40.txt", "@trade");
  ASSERT_EQ(l.payload,
            R"({"stream":"btcusdt@trade","data":{"e":"trade","E":1723161256322,"T":1723161256322,"s":"BTCUSDT","t":5266583935,"p":"61800.30","q":"0.006","X":"MARKET","m":false}})");
  const auto ev = run(l.payload, l.recv_ts_ns);
  ASSERT_TRUE(ev);
  EXPECT_EQ(ev->trade.aggressor, Side::Buy);
  EXPECT_EQ(ev->trade.px, 6'180'030'000'000);
  EXPECT_EQ(ev->trade.qty, 600'000);
  EXPECT_EQ(ev->trade.trade_id, 5'266'583'935u);
  EXPECT_EQ(ev->exch_ts_ns, 1'723'161'256'322'000'000);
}

TEST_F(BinanceNormalizerTest, AggTradeCombinedAndRaw) {
  const Line l = find_line("cryptofeed_binance_spot_20211012.txt", "lrcbtc@aggTrade");
  ASSERT_EQ(l.payload,
            R"({"stream":"lrcbtc@aggTrade","data":{"e":"aggTrade","E":1633998534486,"s":"LRCBTC","a":9213679,"p":"0.00000638","q":"177.00000000","f":12368013,"l":12368013,"T":1633998534486,"m":false,"M":true}})");
  for (const std::string& text : {l.payload, raw_of(l.payload)}) {
    const auto ev = run(text, l.recv_ts_ns);
    ASSERT_TRUE(ev) << text;
    EXPECT_EQ(ev->kind, EventKind::Trade);
    EXPECT_EQ(ev->symbol_id, 3u);  // LRCBTC is the 4th configured symbol
    EXPECT_EQ(ev->trade.px, 638);
    EXPECT_EQ(ev->trade.qty, 17'700'000'000);
    EXPECT_EQ(ev->trade.trade_id, 9'213'679u);  // "a", the aggregate trade id
    EXPECT_EQ(ev->trade.aggressor, Side::Buy);
    EXPECT_EQ(ev->exch_ts_ns, 1'633'998'534'486'000'000);
    EXPECT_EQ(ev->recv_ts_ns, l.recv_ts_ns);
  }
  EXPECT_EQ(stats.by_type[T::AggTrade], 2u);
}

TEST_F(BinanceNormalizerTest, DepthUpdateCountedNoEventMovesClockOnly) {
  const Line l = find_line("spot_btcusdt_20240808_head400.txt", "depthUpdate");
  ASSERT_NE(l.payload.find(R"("E":1723161255208,"s":"BTCUSDT")"), std::string::npos);
  for (const std::string& text : {l.payload, raw_of(l.payload)}) {
    EXPECT_FALSE(run(text, l.recv_ts_ns));
    EXPECT_EQ(norm.clock_only_ts_ns(), 1'723'161'255'208'000'000);
  }
  EXPECT_EQ(stats.by_type[T::DepthUpdate], 2u);
  EXPECT_EQ(stats.dropped(), 0u);
  ASSERT_TRUE(run(kSpotBookTicker));
  EXPECT_EQ(norm.clock_only_ts_ns(), -1);  // only for the message just normalized
  // A depthUpdate for a symbol that is not configured moves nothing.
  EXPECT_FALSE(run(R"({"e":"depthUpdate","E":5,"s":"ETHUSDT","U":1,"u":2,"b":[],"a":[]})"));
  EXPECT_EQ(norm.clock_only_ts_ns(), -1);
  EXPECT_EQ(stats.drops[DropReason::UnknownSymbol], 1u);
}

TEST_F(BinanceNormalizerTest, SnapshotAckAndOtherTypesAreCountedNotDropped) {
  const Line snap = find_line("spot_btcusdt_20240808_head400.txt", "lastUpdateId");
  ASSERT_GT(snap.payload.size(), 60'000u);
  EXPECT_FALSE(run(snap.payload));
  EXPECT_EQ(stats.by_type[T::DepthSnapshot], 1u);

  for (const Line& ack : load("acks_constructed.txt")) EXPECT_FALSE(run(ack.payload));
  EXPECT_FALSE(run(R"({"result":null,"id":1})"));
  EXPECT_FALSE(run(R"({"id":7,"result":["btcusdt@bookTicker"]})"));  // LIST_SUBSCRIPTIONS reply
  EXPECT_EQ(stats.by_type[T::SubscriptionAck], 4u);

  const Line kline = find_line("cryptofeed_binance_spot_20211012.txt", "@kline_1m");
  EXPECT_FALSE(run(kline.payload));
  EXPECT_FALSE(run(raw_of(kline.payload)));
  EXPECT_FALSE(run(R"({"e":"24hrTicker","E":1,"s":"BTCUSDT"})"));
  EXPECT_EQ(stats.by_type[T::Other], 3u);

  EXPECT_EQ(stats.dropped(), 0u);
  EXPECT_EQ(stats.sample_count, 0u);
  EXPECT_EQ(stats.messages(), 8u);
}

// ---------------------------------------------------------------------------------------------
// Drop reasons.

TEST_F(BinanceNormalizerTest, MalformedJson) {
  const std::string bt(kSpotBookTicker);
  expect_drop("", DropReason::MalformedJson, T::Other);
  expect_drop("   ", DropReason::MalformedJson, T::Other);
  expect_drop(bt.substr(0, bt.size() - 1), DropReason::MalformedJson, T::Other);  // last brace missing
  expect_drop(bt.substr(0, 60), DropReason::MalformedJson, T::Other);             // cut in a string
  expect_drop(bt + "}", DropReason::MalformedJson, T::Other);                     // trailing brace
  expect_drop(bt + " {}", DropReason::MalformedJson, T::Other);                   // two documents
  expect_drop(replace_once(bt, R"("s":)", R"("s" )"), DropReason::MalformedJson, T::Other);  // no colon
  expect_drop(replace_once(bt, R"(,"B")", R"(,,"B")"), DropReason::MalformedJson, T::Other);
  expect_drop(replace_once(std::string(kSpotTrade), "\"m\":true", "\"m\":tru"), DropReason::MalformedJson,
              T::Other);
  expect_drop(replace_once(bt, "\"BTCUSDT\"", "\"BTC\\qUSDT\""), DropReason::MalformedJson, T::Other);  // bad escape
  expect_drop("{\"stream\":\"btcusdt@bookTicker\",\"data\":{\"u\":1,\"s\":\"BTC\xff\"}}", DropReason::MalformedJson,
              T::Other);  // invalid UTF-8
  expect_drop("not json", DropReason::MalformedJson, T::Other);
  expect_drop("nul", DropReason::MalformedJson, T::Other);
  expect_drop("tru", DropReason::MalformedJson, T::Other);
  expect_drop("\"abc", DropReason::MalformedJson, T::Other);
  expect_drop("12x", DropReason::MalformedJson, T::Other);
  expect_drop(replace_once(bt, "50093239212", "5009-3239212"), DropReason::MalformedJson, T::Other);
}

TEST_F(BinanceNormalizerTest, MissingField) {
  const std::string raw_bt = raw_of(std::string(kSpotBookTicker));
  expect_drop(replace_once(raw_bt, R"(,"A":"1.54698000")", ""), DropReason::MissingField, T::BookTicker);
  expect_drop(replace_once(raw_bt, R"("u":50093239212,)", ""), DropReason::MissingField, T::BookTicker);
  expect_drop(replace_once(raw_bt, R"("s":"BTCUSDT",)", ""), DropReason::MissingField, T::BookTicker);
  // Combined stream says bookTicker but the data has none of the book fields.
  expect_drop(R"({"stream":"btcusdt@bookTicker","data":{"u":1,"s":"BTCUSDT"}})", DropReason::MissingField,
              T::BookTicker);
  const std::string tr(kSpotTrade);
  expect_drop(replace_once(tr, R"(,"m":true)", ""), DropReason::MissingField, T::Trade);
  expect_drop(replace_once(tr, R"("E":1723161255343,)", ""), DropReason::MissingField, T::Trade);
  expect_drop(replace_once(tr, R"("t":3735683259,)", ""), DropReason::MissingField, T::Trade);
  expect_drop(replace_once(tr, R"("p":"61837.63000000",)", ""), DropReason::MissingField, T::Trade);
  expect_drop(replace_once(tr, R"("q":"0.02000000",)", ""), DropReason::MissingField, T::Trade);
  expect_drop(R"({"e":"aggTrade","E":1,"s":"BTCUSDT","p":"1","q":"1","m":true})", DropReason::MissingField,
              T::AggTrade);
  expect_drop(R"({"e":"depthUpdate","s":"BTCUSDT","U":1,"u":2,"b":[],"a":[]})", DropReason::MissingField,
              T::DepthUpdate);
  expect_drop(R"({"e":"depthUpdate","E":1,"U":1,"u":2,"b":[],"a":[]})", DropReason::MissingField, T::DepthUpdate);
  expect_drop(R"({"stream":"btcusdt@trade"})", DropReason::MissingField, T::Other);  // envelope without data
}

TEST_F(BinanceNormalizerTest, WrongType) {
  const std::string bt(kSpotBookTicker);
  const std::string tr(kSpotTrade);
  // A JSON number where a decimal string belongs (SPEC §9.9).
  expect_drop(replace_once(bt, R"("b":"61837.63000000")", R"("b":61837.63)"), DropReason::WrongType,
              T::BookTicker);
  expect_drop(replace_once(tr, R"("q":"0.02000000")", R"("q":2)"), DropReason::WrongType, T::Trade);
  expect_drop(replace_once(tr, R"("p":"61837.63000000")", R"("p":-1)"), DropReason::WrongType, T::Trade);
  expect_drop(replace_once(tr, R"("p":"61837.63000000")", R"("p":null)"), DropReason::WrongType, T::Trade);
  // A string where an integer belongs.
  expect_drop(replace_once(tr, R"("E":1723161255343)", R"("E":"1723161255343")"), DropReason::WrongType, T::Trade);
  expect_drop(replace_once(bt, R"("u":50093239212)", R"("u":"50093239212")"), DropReason::WrongType,
              T::BookTicker);
  expect_drop(replace_once(tr, R"("m":true)", R"("m":"true")"), DropReason::WrongType, T::Trade);
  expect_drop(replace_once(tr, R"("m":true)", R"("m":1)"), DropReason::WrongType, T::Trade);
  expect_drop(replace_once(tr, R"("s":"BTCUSDT")", R"("s":["BTCUSDT"])"), DropReason::WrongType, T::Trade);
  expect_drop(replace_once(tr, R"("e":"trade")", R"("e":1)"), DropReason::WrongType, T::Other);
  expect_drop(R"({"stream":"btcusdt@trade","data":[1,2]})", DropReason::WrongType, T::Other);
  expect_drop(R"({"e":"aggTrade","E":1,"s":"BTCUSDT","a":"12","p":"1","q":"1","m":true})", DropReason::WrongType,
              T::AggTrade);
  expect_drop(R"({"e":"bookTicker","E":"1","u":1,"s":"BTCUSDT","b":"1","B":"1","a":"1","A":"1"})",
              DropReason::WrongType, T::BookTicker);
}

TEST_F(BinanceNormalizerTest, BadNumber) {
  const std::string bt(kSpotBookTicker);
  const std::string tr(kSpotTrade);
  for (std::string_view bad : {"-61837.63", "+61837.63", "6.183763e4", "6183763E-2", "", " 61837.63", "61837.63 ",
                               "61837.", ".63", "61837.630000001", "92233720368.54775808", "99999999999999999999",
                               "0x10", "1,5", "NaN", "inf", "１"}) {
    expect_drop(replace_once(tr, "\"61837.63000000\"", quoted(bad)), DropReason::BadNumber,
                T::Trade);
  }
  expect_drop(replace_once(bt, "\"1.54698000\"", "\"1.5\\u0034\""), DropReason::BadNumber, T::BookTicker);  // escape
  // Integer fields: negative, fractional, exponent, beyond uint64, E too large for ns in int64.
  expect_drop(replace_once(tr, "1723161255343", "-1723161255343"), DropReason::BadNumber, T::Trade);
  expect_drop(replace_once(tr, "3735683259", "3735683259.5"), DropReason::BadNumber, T::Trade);
  expect_drop(replace_once(tr, "3735683259", "3.7e9"), DropReason::BadNumber, T::Trade);
  expect_drop(replace_once(bt, "50093239212", "18446744073709551616"), DropReason::BadNumber, T::BookTicker);
  expect_drop(replace_once(tr, "1723161255343", "9223372036855"), DropReason::BadNumber, T::Trade);
  expect_drop(R"({"e":"depthUpdate","E":-1,"s":"BTCUSDT","U":1,"u":2,"b":[],"a":[]})", DropReason::BadNumber,
              T::DepthUpdate);
}

TEST_F(BinanceNormalizerTest, NumberGrammarAccepted) {
  const std::string tr(kSpotTrade);
  const std::pair<std::string_view, Fixed> cases[] = {
      {"0", 0},
      {"0.0", 0},
      {"00012", 1'200'000'000},
      {"61837.63", 6'183'763'000'000},
      {"61837.630000000000", 6'183'763'000'000},  // zeros past the 8th decimal are fine
      {"0.00000001", 1},
      {"0.000000010", 1},
      {"92233720368.54775807", std::numeric_limits<int64_t>::max()},
  };
  for (const auto& [text, value] : cases) {
    const auto ev = run(replace_once(tr, "\"61837.63000000\"", quoted(text)));
    ASSERT_TRUE(ev) << text;
    EXPECT_EQ(ev->trade.px, value) << text;
  }
  EXPECT_EQ(stats.dropped(), 0u);
  // The largest uint64 is a fine trade id; E up to INT64_MAX / 1e6 ms is fine.
  const auto ev = run(replace_once(replace_once(tr, "3735683259", "18446744073709551615"), "1723161255343",
                                   "9223372036854"));
  ASSERT_TRUE(ev);
  EXPECT_EQ(ev->trade.trade_id, UINT64_MAX);
  EXPECT_EQ(ev->exch_ts_ns, 9'223'372'036'854'000'000);
}

TEST_F(BinanceNormalizerTest, UnknownSymbol) {
  const std::string tr(kSpotTrade);
  expect_drop(replace_once(tr, "\"BTCUSDT\"", "\"ETHUSDT\""), DropReason::UnknownSymbol, T::Trade);
  expect_drop(replace_once(tr, "\"BTCUSDT\"", "\"btcusdt\""), DropReason::UnknownSymbol, T::Trade);  // exact case
  expect_drop(replace_once(tr, "\"BTCUSDT\"", "\"\""), DropReason::UnknownSymbol, T::Trade);
  // The symbol comes from data.s, not from the stream name.
  const auto ev = run(replace_once(tr, "btcusdt@trade", "ethusdt@trade"));
  ASSERT_TRUE(ev);
  EXPECT_EQ(ev->symbol_id, 0u);
  // An escaped but equal name is the same symbol.
  const auto ev2 = run(replace_once(tr, "\"BTCUSDT\"", "\"BTC\\u0055SDT\""));
  ASSERT_TRUE(ev2);
  EXPECT_EQ(ev2->symbol_id, 0u);
  // Unknown symbol wins over a bad number: numbers of unconfigured symbols are not looked at.
  expect_drop(replace_once(replace_once(tr, "\"BTCUSDT\"", "\"ETHUSDT\""), "\"0.02000000\"", "\"-1\""),
              DropReason::UnknownSymbol, T::Trade);
}

TEST_F(BinanceNormalizerTest, UnknownMessageType) {
  expect_drop("[1,2,3]", DropReason::UnknownMessageType, T::Other);
  expect_drop("\"bookTicker\"", DropReason::UnknownMessageType, T::Other);
  expect_drop("123", DropReason::UnknownMessageType, T::Other);
  expect_drop("null", DropReason::UnknownMessageType, T::Other);
  expect_drop("true", DropReason::UnknownMessageType, T::Other);
  expect_drop("{}", DropReason::UnknownMessageType, T::Other);
  expect_drop(R"({"foo":1,"s":"BTCUSDT"})", DropReason::UnknownMessageType, T::Other);
  expect_drop(R"({"error":{"code":2,"msg":"Invalid request"},"id":1})", DropReason::UnknownMessageType, T::Other);
  expect_drop(R"({"stream":"btcusdt@depth","data":{"s":"BTCUSDT"}})", DropReason::UnknownMessageType, T::Other);
}

TEST(BinanceNormalizerLimits, TooLargeIsNotParsed) {
  SymbolTable symbols{kSymbols};
  NormalizerStats stats;
  BinanceNormalizer norm{symbols, stats, kSpotBookTicker.size()};
  MarketEvent ev{};
  OwnedMessage fits(kSpotBookTicker, 1);
  EXPECT_TRUE(norm.normalize(fits.msg(), ev));
  const std::string big = std::string(kSpotBookTicker) + " ";
  OwnedMessage too_big(big, 2);
  EXPECT_FALSE(norm.normalize(too_big.msg(), ev));
  EXPECT_EQ(stats.drops[DropReason::TooLarge], 1u);
  EXPECT_EQ(stats.by_type[T::Other], 1u);
  EXPECT_EQ(stats.by_type[T::BookTicker], 1u);
  EXPECT_EQ(norm.max_message_bytes(), kSpotBookTicker.size());
}

TEST_F(BinanceNormalizerTest, FirstFiveDropsAreSampledWithTheirBytes) {
  std::vector<std::string> bad;
  bad.push_back(std::string(300, '{'));  // malformed; sampled: its first 200 bytes
  bad.push_back(replace_once(std::string(kSpotTrade), "\"BTCUSDT\"", "\"XRPUSDT\""));  // unknown symbol
  bad.push_back("{}");
  bad.push_back(R"({"e":"trade"})");
  bad.push_back(replace_once(std::string(kSpotTrade), "\"0.02000000\"", "\"1e3\""));
  bad.push_back("{\"sixth\":1}");
  const DropReason reasons[] = {DropReason::MalformedJson, DropReason::UnknownSymbol, DropReason::UnknownMessageType,
                                DropReason::MissingField, DropReason::BadNumber};
  for (std::size_t i = 0; i < bad.size(); ++i) {
    EXPECT_FALSE(run(bad[i], 100 + static_cast<int64_t>(i)));
    EXPECT_TRUE(run(kSpotBookTicker));  // good messages in between are not sampled
  }
  EXPECT_EQ(stats.dropped(), 6u);
  ASSERT_EQ(stats.sample_count, kMaxDropSamples);
  for (std::size_t i = 0; i < kMaxDropSamples; ++i) {
    const DropSample& s = stats.samples[i];
    EXPECT_EQ(s.reason, reasons[i]) << i;
    EXPECT_EQ(s.recv_ts_ns, 100 + static_cast<int64_t>(i));
    EXPECT_EQ(s.size, bad[i].size());
    EXPECT_EQ(s.view(), std::string_view(bad[i]).substr(0, kDropSampleBytes));
    EXPECT_EQ(s.truncated(), bad[i].size() > kDropSampleBytes);
  }
  EXPECT_EQ(stats.samples[0].len, kDropSampleBytes);
}

TEST(NormalizerStatsNames, SnakeCaseAndComplete) {
  EXPECT_EQ(name_of(T::BookTicker), "book_ticker");
  EXPECT_EQ(name_of(T::AggTrade), "agg_trade");
  EXPECT_EQ(name_of(T::SubscriptionAck), "subscription_ack");
  EXPECT_EQ(name_of(T::Other), "other");
  EXPECT_EQ(name_of(DropReason::MalformedJson), "malformed_json");
  EXPECT_EQ(name_of(DropReason::UnknownMessageType), "unknown_message_type");
  EXPECT_EQ(name_of(DropReason::TooLarge), "too_large");
  for (std::string_view n : kBinanceMessageTypeNames) EXPECT_FALSE(n.empty());
  for (std::string_view n : kDropReasonNames) EXPECT_FALSE(n.empty());
  static_assert(kBinanceMessageTypeNames.size() <= kMaxMessageTypes);
  static_assert(decltype(NormalizerStats::drops)::kSize == kDropReasonNames.size());
}

// The normalizer installs its type names into the (venue-agnostic) stats; a copy keeps them.
TEST(NormalizerStatsNames, BinanceInstallsItsTypeNames) {
  SymbolTable symbols{kSymbols};
  NormalizerStats stats;
  EXPECT_EQ(stats.by_type.size(), 0u);
  BinanceNormalizer norm{symbols, stats};
  ASSERT_EQ(stats.by_type.size(), kBinanceMessageTypeCount);
  EXPECT_EQ(stats.by_type.names().data(), kBinanceMessageTypeNames.data());
  const NormalizerStats copy = stats;
  ASSERT_EQ(copy.by_type.size(), kBinanceMessageTypeCount);
  EXPECT_EQ(copy.by_type.names()[static_cast<std::size_t>(T::BookTicker)], "book_ticker");
  EXPECT_EQ(copy.by_type.names()[static_cast<std::size_t>(T::DepthSnapshot)], "depth_snapshot");
}

// The parser must not depend on what lies in the padding, nor on the buffer being reused.
TEST_F(BinanceNormalizerTest, PaddingContentDoesNotMatter) {
  for (char filler : {'\0', '"', '}', ' ', '\\', '9'}) {
    const std::string raw = raw_of(std::string(kSpotBookTicker));
    for (std::string_view text : {kSpotBookTicker, std::string_view(raw)}) {
      OwnedMessage m(text, 5, filler);
      MarketEvent ev{};
      ASSERT_TRUE(norm.normalize(m.msg(), ev)) << int(filler);
      expect_spot_book_ticker(ev, 5);
    }
    OwnedMessage cut(kSpotBookTicker.substr(0, 40), 5, filler);
    MarketEvent ev{};
    EXPECT_FALSE(norm.normalize(cut.msg(), ev));
  }
  EXPECT_EQ(stats.drops[DropReason::MalformedJson], 6u);
}

// ---------------------------------------------------------------------------------------------
// The compact-JSON fast path and the simdjson path must agree on every message. A leading space
// changes nothing in JSON but keeps a message off the fast path (it admits no whitespace), so
// normalizing `text` and " " + `text` with two normalizers compares the two paths.

struct Outcome {
  bool event;
  MarketEvent ev;
  int64_t clock_only;
  std::array<uint64_t, kMaxMessageTypes> by_type;
  std::array<uint64_t, kDropReasonCount> drops;
};

Outcome outcome_of(BinanceNormalizer& norm, NormalizerStats& stats, std::string_view text) {
  OwnedMessage m(text, 77, '0');  // digits in the padding: they must not extend a number
  Outcome o{};
  std::memset(static_cast<void*>(&o.ev), 0, sizeof o.ev);
  o.event = norm.normalize(m.msg(), o.ev);
  o.clock_only = norm.clock_only_ts_ns();
  for (std::size_t t = 0; t < o.by_type.size(); ++t) o.by_type[t] = stats.by_type.values[t];
  for (std::size_t r = 0; r < kDropReasonCount; ++r) o.drops[r] = stats.drops[static_cast<DropReason>(r)];
  return o;
}

class FastPathAgreement : public ::testing::Test {
 protected:
  SymbolTable symbols{kSymbols};
  NormalizerStats fast_stats, slow_stats;
  BinanceNormalizer fast{symbols, fast_stats};
  BinanceNormalizer slow{symbols, slow_stats};

  void expect_same(const std::string& text) {
    const Outcome a = outcome_of(fast, fast_stats, text);
    const Outcome b = outcome_of(slow, slow_stats, " " + text);
    ASSERT_EQ(a.event, b.event) << text;
    ASSERT_EQ(std::memcmp(&a.ev, &b.ev, sizeof a.ev), 0) << text;
    ASSERT_EQ(a.clock_only, b.clock_only) << text;
    ASSERT_EQ(a.by_type, b.by_type) << text;
    ASSERT_EQ(a.drops, b.drops) << text;
  }
};

TEST_F(FastPathAgreement, RecordedLines) {
  for (const char* file : {"spot_btcusdt_20240808_head400.txt", "usdm_btcusdt_20240808_head40.txt",
                           "cryptofeed_binance_spot_20211012.txt", "acks_constructed.txt"}) {
    for (const Line& l : load(file)) {
      expect_same(l.payload);
      if (l.payload.find("\"data\":") != std::string::npos) expect_same(raw_of(l.payload));
    }
  }
  EXPECT_EQ(fast_stats.dropped(), 0u);
}

TEST_F(FastPathAgreement, HandPickedEdges) {
  const std::string bt(kSpotBookTicker), tr(kSpotTrade);
  for (const std::string& text : {
           std::string("{}"), std::string("{}}"), std::string("{"), std::string("{\"\":1}"),
           std::string(R"({"u":0,"s":"BTCUSDT","b":"1","B":"1","a":"1","A":"1"})"),
           std::string(R"({"u":01,"s":"BTCUSDT","b":"1","B":"1","a":"1","A":"1"})"),
           std::string(R"({"u":1234567890123456789,"s":"BTCUSDT","b":"1","B":"1","a":"1","A":"1"})"),
           std::string(R"({"u":9999999999999999999,"s":"BTCUSDT","b":"1","B":"1","a":"1","A":"1"})"),
           std::string(R"({"u":18446744073709551615,"s":"BTCUSDT","b":"1","B":"1","a":"1","A":"1"})"),
           std::string(R"({"u":18446744073709551616,"s":"BTCUSDT","b":"1","B":"1","a":"1","A":"1"})"),
           std::string(R"({"u":12345678,"s":"BTCUSDT","b":"1","B":"1","a":"1","A":"1"})"),
           std::string(R"({"u":1,"s":"BTCUSDT","b":"1","B":"1","a":"1","A":"1","u":2})"),  // last one counts
           std::string(R"({"u":1,"s":"BTCUSDT","b":"1","B":"1","a":"1","A":"1","x":[[["1"]]]})"),
           std::string(R"({"u":1,"s":"BTCUSDT","b":"1","B":"1","a":"1","A":"1","x":[[],[1,true,null,"a"]]})"),
           std::string(R"({"u":1,"s":"BTCUSDT","b":"1","B":"1","a":"1","A":"1","x":{"y":1}})"),
           std::string(R"({"u":1,"s":"BTCUSDT","b":"1","B":"1","a":"1","A":"1","b":null})"),
           std::string(R"({"u":1,"s":"BTCUSDT","b":"1","B":"1","a":"1","A":"1","m":tru})"),
           std::string(R"({"u":1,"s":"BTCUSDT","b":"1","B":"1","a":"1","A":"1","m":nul})"),
           std::string(R"({"e":"depthUpdate","E":1,"s":"BTCUSDT","U":1,"u":2,"b":[["1","2"],["3","4"]],"a":[]})"),
           std::string(R"({"e":"depthUpdate","E":1,"s":"BTCUSDT","U":1,"u":2,"b":[["1","2"],["3","4"],],"a":[]})"),
           std::string(R"({"e":"depthUpdate","E":1,"s":"BTCUSDT","U":1,"u":2,"b":[["1","2"]["3","4"]],"a":[]})"),
           std::string(R"({"e":"depthUpdate","E":1,"s":"BTCUSDT","U":1,"u":2,"b":[["1","2"],"a":[]})"),
           std::string(R"({"stream":"x","data":{"e":"trade","E":1,"s":"BTCUSDT","t":1,"p":"1","q":"1","m":false},"e":"x"})"),
           std::string(R"({"e":"x","stream":"x","data":{"e":"trade","E":1,"s":"BTCUSDT","t":1,"p":"1","q":"1","m":false}})"),
           std::string(R"({"data":{"u":1},"data":"x","stream":"a@bookTicker"})"),
           std::string(R"({"data":1,"stream":"a@bookTicker"})"),
           std::string(R"({"stream":["a@bookTicker"],"data":{"u":1}})"),
           std::string(R"({"result":null,"id":1})"),
           std::string(R"({"result":["a","b"],"id":1})"),
           std::string(R"({"lastUpdateId":1,"bids":[["1","2"]],"asks":[]})"),
           std::string(R"({"s":"BTCUSDT","lastUpdateId":1,"bids":[["1","2"]],"asks":[]})"),
           std::string(R"({"s":"NOPE","lastUpdateId":1,"bids":[["1","2"]],"asks":[]})"),
           std::string(R"({"s":1,"lastUpdateId":1,"bids":[["1","2"]],"asks":[]})"),
           std::string(R"({"e":"trade","E":1,"s":"BTC USDT","t":1,"p":"1","q":"1","m":false})"),
           std::string(R"({"e":"trade","E":1,"s":"BTCUSDT","t":1,"p":"1.5","q":"1.","m":false})"),
           std::string(R"({"e":"trade","E":1,"s":"BTCUSDT","t":1,"p":"1.5","q":"1","m":false}x)"),
           std::string("{\"e\":\"trade\",\"E\":1,\"s\":\"BTCUSDT\",\"t\":1,\"p\":\"1\x7f\",\"q\":\"1\",\"m\":false}"),
           std::string("{\"e\":\"trade\",\"E\":1,\"s\":\"BTC\xc3\xa9\",\"t\":1,\"p\":\"1\",\"q\":\"1\",\"m\":false}"),
           std::string("{\"e\":\"trade\",\"E\":1,\"s\":\"BTC\tUSDT\",\"t\":1,\"p\":\"1\",\"q\":\"1\",\"m\":false}"),
           replace_once(tr, "\"BTCUSDT\"", "\"BTC\\u0055SDT\""),
           replace_once(bt, "\"1.54698000\"", "\"1.5\\u0034\""),
           replace_once(bt, "50093239212", "-50093239212"),
           replace_once(bt, "50093239212", "50093239212.0"),
           replace_once(bt, "50093239212", "5e3"),
           bt.substr(0, bt.size() - 1),
           bt + " ",
       }) {
    expect_same(text);
  }
  // Every prefix of the recorded shapes (a truncated message never reads past its end).
  for (const std::string& full : {bt, tr, raw_of(bt), raw_of(tr)}) {
    for (std::size_t n = 0; n <= full.size(); ++n) expect_same(full.substr(0, n));
  }
}

// Random byte edits of recorded messages: both paths, same verdict, same counters, same event.
TEST_F(FastPathAgreement, RandomEditsOfRecordedMessages) {
  std::vector<std::string> seeds;
  for (const char* file : {"spot_btcusdt_20240808_head400.txt", "usdm_btcusdt_20240808_head40.txt",
                           "cryptofeed_binance_spot_20211012.txt"}) {
    for (const Line& l : load(file)) {
      if (l.payload.size() > 4000) continue;  // the REST snapshot: slow, and no different in kind
      seeds.push_back(l.payload);
      if (l.payload.find("\"data\":") != std::string::npos) seeds.push_back(raw_of(l.payload));
    }
  }
  ASSERT_FALSE(seeds.empty());
  constexpr std::string_view kBytes = "0123456789.-+eE\"\\{}[],: ntrufalsx\x7f\x80\x1f";
  std::mt19937_64 rng(424242);
  for (int iter = 0; iter < 60'000; ++iter) {
    std::string text = seeds[rng() % seeds.size()];
    const int edits = 1 + static_cast<int>(rng() % 3);
    for (int e = 0; e < edits && !text.empty(); ++e) {
      const std::size_t at = rng() % text.size();
      const char c = kBytes[rng() % kBytes.size()];
      switch (rng() % 4) {
        case 0: text[at] = c; break;
        case 1: text.insert(text.begin() + static_cast<std::ptrdiff_t>(at), c); break;
        case 2: text.erase(at, 1 + rng() % 3); break;
        default: text.insert(at, text.substr(at, 1 + rng() % 12)); break;  // repeat a short run
      }
    }
    expect_same(text);
    if (HasFatalFailure()) return;
  }
}

// ---------------------------------------------------------------------------------------------
// Replay of every recorded line: zero drops, every field equal to an independent parse.

// Independent decimal-string reader for the reference: digits accumulated in __int128, no shared code.
int64_t ref_fixed(const std::string& s) {
  __int128 v = 0;
  int frac = -1;
  for (char c : s) {
    if (c == '.') {
      frac = 0;
      continue;
    }
    v = v * 10 + (c - '0');
    if (frac >= 0) ++frac;
  }
  if (frac < 0) frac = 0;
  for (; frac < 8; ++frac) v *= 10;
  for (; frac > 8; --frac) v /= 10;  // recorded data only ever has zeros there
  return static_cast<int64_t>(v);
}

TEST_F(BinanceNormalizerTest, ReplayAllRecordedLinesWithZeroDrops) {
  std::map<T, uint64_t> expected;
  uint64_t events = 0, lines = 0;
  for (const char* file : {"spot_btcusdt_20240808_head400.txt", "usdm_btcusdt_20240808_head40.txt",
                           "cryptofeed_binance_spot_20211012.txt", "acks_constructed.txt"}) {
    for (const Line& l : load(file)) {
      ++lines;
      const nlohmann::json j = nlohmann::json::parse(l.payload);
      const nlohmann::json& d = j.contains("data") ? j["data"] : j;
      T type = T::Other;
      if (j.contains("result")) type = T::SubscriptionAck;
      else if (j.contains("lastUpdateId")) type = T::DepthSnapshot;
      else if (!d.contains("e")) type = T::BookTicker;
      else if (d["e"] == "bookTicker") type = T::BookTicker;
      else if (d["e"] == "trade") type = T::Trade;
      else if (d["e"] == "aggTrade") type = T::AggTrade;
      else if (d["e"] == "depthUpdate") type = T::DepthUpdate;
      ++expected[type];

      const auto ev = run(l.payload, l.recv_ts_ns);
      ASSERT_EQ(stats.dropped(), 0u) << file << ": " << l.payload;
      const bool want_event = type == T::BookTicker || type == T::Trade || type == T::AggTrade;
      ASSERT_EQ(ev.has_value(), want_event) << l.payload;
      if (type == T::DepthUpdate) {
        EXPECT_EQ(norm.clock_only_ts_ns(), d["E"].get<int64_t>() * 1'000'000);
      }
      if (!ev) continue;
      ++events;
      EXPECT_EQ(ev->recv_ts_ns, l.recv_ts_ns);
      EXPECT_EQ(symbols.name(ev->symbol_id), d["s"].get<std::string>());
      if (type == T::BookTicker) {
        ASSERT_EQ(ev->kind, EventKind::BookTop);
        EXPECT_EQ(ev->book.bid_px, ref_fixed(d["b"]));
        EXPECT_EQ(ev->book.bid_qty, ref_fixed(d["B"]));
        EXPECT_EQ(ev->book.ask_px, ref_fixed(d["a"]));
        EXPECT_EQ(ev->book.ask_qty, ref_fixed(d["A"]));
        EXPECT_EQ(ev->book.venue_seq, d["u"].get<uint64_t>());
        EXPECT_EQ(ev->exch_ts_ns, d.contains("E") ? d["E"].get<int64_t>() * 1'000'000 : l.recv_ts_ns);
      } else {
        ASSERT_EQ(ev->kind, EventKind::Trade);
        EXPECT_EQ(ev->trade.px, ref_fixed(d["p"]));
        EXPECT_EQ(ev->trade.qty, ref_fixed(d["q"]));
        EXPECT_EQ(ev->trade.trade_id, d[type == T::Trade ? "t" : "a"].get<uint64_t>());
        EXPECT_EQ(ev->trade.aggressor, d["m"].get<bool>() ? Side::Sell : Side::Buy);
        EXPECT_EQ(ev->exch_ts_ns, d["E"].get<int64_t>() * 1'000'000);
      }
    }
  }
  EXPECT_EQ(lines, 707u);
  EXPECT_EQ(stats.messages(), lines);
  EXPECT_EQ(stats.dropped(), 0u);
  for (const auto& [type, n] : expected) EXPECT_EQ(stats.by_type[type], n) << name_of(type);
  // The counts SOURCE.md documents.
  EXPECT_EQ(stats.by_type[T::BookTicker], 312u + 32u + 84u);
  EXPECT_EQ(stats.by_type[T::Trade], 69u + 4u);
  EXPECT_EQ(stats.by_type[T::AggTrade], 2u);
  EXPECT_EQ(stats.by_type[T::DepthUpdate], 18u + 4u + 177u);
  EXPECT_EQ(stats.by_type[T::DepthSnapshot], 1u);
  EXPECT_EQ(stats.by_type[T::SubscriptionAck], 2u);
  EXPECT_EQ(stats.by_type[T::Other], 2u);  // kline
  EXPECT_EQ(events, 312u + 32u + 84u + 69u + 4u + 2u);
}

}  // namespace
}  // namespace tp::feed
