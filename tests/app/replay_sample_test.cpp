// End-to-end: the bundled sample capture through the real binary. The expected journal was
// derived by hand from the capture's messages (tests/data/sample/expected_payloads.txt.gz) and
// config/sample.toml, never from the engine's output:
//
//   inventory 0.5 BTCUSDT @ 58880; levels 5.00% / 5.02% / 5.04% / 5.05% of entry.
//   engine clock = the largest exchange time so far (SPEC 9.1): depthUpdate/trade "E" (ms), or a
//   bookTicker's receive time; the recorder's clock runs ~1.27 s behind Binance's, so the clock
//   is the latest "E".
//
//   msg 1,2  depthUpdate E=1723161255208, 1723161255308        clock 1723161255308000000
//   msg 3    bookTicker bid 61837.63: gain (61837.63-58880)/58880 = 5.023% >= 5.00%
//            -> level 1 (5.02% is also reached, but one level per event): sell 0.5*0.30 = 0.15
//            fill at the bid 61837.63; fee 0.15*61837.63*10/10000 = 9.2756445 -> 9.27564450
//   msg 4    trade E=1723161255343 (a trade moves no mark after the first book top)
//   msg 5    bookTicker bid 61837.63 >= 61835.776 (5.02%) -> level 2: 0.35*0.30 = 0.105
//            fee 0.105*61837.63/1000 = 6.49295115
//   msg 2682 first bid >= 61847.552 (5.04%): 61849.49; clock = E of msg 2681 = 1723161280020
//            -> level 3: 0.245*0.50 = 0.1225; fee 0.1225*61849.49/1000 = 7.576562525 -> 7.57656253
//   msg 3051 first bid >= 61853.44 (5.05%): 61855.36 -> level 4: 0.1225*0.0001 = 0.00001225
//            -> lot 0.00001; notional 0.62 < min_notional 5: skipped, no order
//   end      position 0.1225 @ 58880, last bid 61855.36 (msg 3198)
//            realized 443.6445 + 310.55115 + 363.762525 = 1117.958175
//            fees 9.2756445 + 6.49295115 + 7.57656253 = 23.34515818
//            unrealized (61855.36-58880)*0.1225 = 364.4816
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "cli_runner.hpp"

namespace tp {
namespace {

using testing::read_file;
using testing::run_tickpipe;
using testing::split_lines;
using testing::TempDir;

const std::string kSample = std::string(TP_SOURCE_DIR) + "/samples/binance-btcusdt-3200.pcap";
const std::string kSampleConfig = std::string(TP_SOURCE_DIR) + "/config/sample.toml";

const std::vector<std::string> kExpectedJournal = {
    R"({"event":"order","ts":1723161255308000000,"symbol":"BTCUSDT","side":"sell","qty":"0.15000000","order_type":"market","reason":"profit_take","level":1,"client_order_id":1})",
    R"({"event":"fill","ts":1723161255308000000,"client_order_id":1,"symbol":"BTCUSDT","side":"sell","qty":"0.15000000","price":"61837.63000000","fee":"9.27564450"})",
    R"({"event":"order","ts":1723161255343000000,"symbol":"BTCUSDT","side":"sell","qty":"0.10500000","order_type":"market","reason":"profit_take","level":2,"client_order_id":2})",
    R"({"event":"fill","ts":1723161255343000000,"client_order_id":2,"symbol":"BTCUSDT","side":"sell","qty":"0.10500000","price":"61837.63000000","fee":"6.49295115"})",
    R"({"event":"order","ts":1723161280020000000,"symbol":"BTCUSDT","side":"sell","qty":"0.12250000","order_type":"market","reason":"profit_take","level":3,"client_order_id":3})",
    R"({"event":"fill","ts":1723161280020000000,"client_order_id":3,"symbol":"BTCUSDT","side":"sell","qty":"0.12250000","price":"61849.49000000","fee":"7.57656253"})",
};

TEST(ReplaySample, NoArgumentsReplaysTheBundledSampleAndMatchesTheHandDerivedJournal) {
  TempDir dir;
  const auto r = run_tickpipe("replay --journal " + dir / "j.jsonl" + " --report " + dir / "r.json");
  ASSERT_EQ(r.status, 0) << r.output;
  const std::string journal = read_file(dir / "j.jsonl");
  EXPECT_EQ(testing::decision_lines(journal), kExpectedJournal);
  // A checkpoint every 10,000 market events (none here) and one at the end, covering all 3,199.
  const auto all = split_lines(journal);
  ASSERT_FALSE(all.empty());
  EXPECT_EQ(all.back(), R"({"event":"checkpoint","ts":1723161284322000000,"events":3199})");

  const auto rep = nlohmann::json::parse(read_file(dir / "r.json"));
  ASSERT_EQ(rep["symbols"].size(), 1u);
  const auto& s = rep["symbols"][0];
  EXPECT_EQ(s["symbol"], "BTCUSDT");
  EXPECT_EQ(s["position"], "0.12250000");
  EXPECT_EQ(s["entry"], "58880.00000000");
  EXPECT_EQ(s["mark"], "61855.36000000");
  EXPECT_EQ(s["realized"], "1117.95817500");
  EXPECT_EQ(s["fees"], "23.34515818");
  EXPECT_EQ(s["unrealized"], "364.48160000");
  EXPECT_EQ(s["profit_takes"], 3);
  EXPECT_EQ(s["profit_take_skipped"], 1);
  EXPECT_EQ(s["fills"], 3);
  EXPECT_EQ(rep["engine_clock_ns"], 1723161284322000000);
  EXPECT_EQ(rep["orders"]["open_at_end"], 0);

  // Message counts by type, counted by hand with grep over the payloads:
  // 3,200 messages + the subscription ack; no drops.
  const auto& by_type = rep["messages"]["by_type"];
  uint64_t total = 0;
  for (const auto& [k, v] : by_type.items()) total += v.get<uint64_t>();
  EXPECT_EQ(total, 3201u);
  EXPECT_EQ(by_type["subscription_ack"], 1);
  EXPECT_EQ(by_type["depth_snapshot"], 1);
  for (const auto& [k, v] : rep["messages"]["dropped"].items()) EXPECT_EQ(v, 0) << k;

  // The human report names what a trader looks for.
  for (const char* want : {"BTCUSDT", "0.12250000", "1117.95817500", "profit-takes", "book_ticker", "Positions"})
    EXPECT_NE(r.output.find(want), std::string::npos) << want << "\n" << r.output;
}

TEST(ReplaySample, DeterministicReplaysWriteByteIdenticalJournals) {
  TempDir dir;
  const auto a = run_tickpipe("replay " + kSample + " -c " + kSampleConfig + " --journal " + dir / "a.jsonl");
  ASSERT_EQ(a.status, 0) << a.output;
  const auto b = run_tickpipe("replay " + kSample + " -c " + kSampleConfig + " --mode deterministic --journal " +
                              dir / "b.jsonl");
  ASSERT_EQ(b.status, 0) << b.output;
  const std::string ja = read_file(dir / "a.jsonl");
  EXPECT_FALSE(ja.empty());
  EXPECT_EQ(ja, read_file(dir / "b.jsonl"));
}

TEST(ReplaySample, DumpMessagesIsTheCapturedPayloadsByteForByte) {
  TempDir dir;
  const auto r = run_tickpipe("replay --journal " + dir / "j.jsonl" + " --dump-messages " + dir / "m.txt");
  ASSERT_EQ(r.status, 0) << r.output;
  const std::string expected =
      "{\"result\":null,\"id\":1}\n" + testing::read_gz(std::string(TP_TEST_DATA_DIR) + "/sample/expected_payloads.txt.gz");
  const std::string got = read_file(dir / "m.txt");
  EXPECT_EQ(got.size(), expected.size());
  EXPECT_TRUE(got == expected);
}

// Threaded mode at --speed max: the feed runs ahead of the order round trip, so a fill can reach
// the strategy many events after its order (on 2 cores, often after all of them); which later
// levels fire, and when, depends on scheduling. What must hold whatever the timing: every order
// is answered, levels fire in order and at most once, and the book agrees with the journal.
TEST(ReplaySample, ThreadedModeKeepsTheBookConsistentWithTheJournal) {
  TempDir dir;
  const auto r = run_tickpipe("replay --mode threaded --journal " + dir / "j.jsonl" + " --report " + dir / "r.json");
  ASSERT_EQ(r.status, 0) << r.output;
  const auto rep = nlohmann::json::parse(read_file(dir / "r.json"));
  EXPECT_EQ(rep["mode"], "threaded");
  EXPECT_EQ(rep["events"], 3199);  // every message but the ack and the REST snapshot
  EXPECT_EQ(rep["engine_clock_ns"], 1723161284322000000);
  EXPECT_EQ(rep["orders"]["open_at_end"], 0);

  const auto lines = testing::decision_lines(read_file(dir / "j.jsonl"));
  ASSERT_GE(lines.size(), 2u);
  ASSERT_EQ(lines.size() % 2, 0u);
  EXPECT_EQ(lines[0], kExpectedJournal[0]) << "the first decision cannot depend on timing";
  int64_t sold = 0;  // in 1e-8
  int last_level = 0;
  for (std::size_t i = 0; i < lines.size(); i += 2) {
    const auto o = nlohmann::json::parse(lines[i]);
    const auto f = nlohmann::json::parse(lines[i + 1]);
    EXPECT_EQ(o["event"], "order");
    EXPECT_EQ(f["event"], "fill");
    EXPECT_EQ(o["client_order_id"], f["client_order_id"]);
    EXPECT_EQ(o["qty"], f["qty"]);
    EXPECT_GT(o["level"].get<int>(), last_level);
    last_level = o["level"].get<int>();
    const std::string q = f["qty"];
    sold += std::stoll(q.substr(0, q.find('.'))) * 100000000 + std::stoll(q.substr(q.find('.') + 1));
  }
  const std::string pos = rep["symbols"][0]["position"];
  EXPECT_EQ(std::stoll(pos.substr(0, pos.find('.'))) * 100000000 + std::stoll(pos.substr(pos.find('.') + 1)),
            50000000 - sold);
  EXPECT_EQ(rep["symbols"][0]["fills"], lines.size() / 2);
}

}  // namespace
}  // namespace tp
