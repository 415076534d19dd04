// The command line's contract (SPEC 8): exit 0 done, 1 the run failed, 2 bad usage or config;
// bad input is counted, not fatal. Runs the real binary.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "cli_runner.hpp"

namespace tp {
namespace {

using testing::read_file;
using testing::run_tickpipe;
using testing::TempDir;
using testing::write_file;

const std::string kData = TP_TEST_DATA_DIR;
const std::string kSample = std::string(TP_SOURCE_DIR) + "/samples/binance-btcusdt-3200.pcap";

constexpr const char* kBtcConfig = R"(
[venue]
format = "binance"
[[symbols]]
name = "BTCUSDT"
lot_step = "0.00001"
min_notional = "5"
)";

TEST(Cli, VersionAndHelp) {
  const auto v = run_tickpipe("--version");
  EXPECT_EQ(v.status, 0);
  EXPECT_NE(v.output.find("tickpipe"), std::string::npos);
  EXPECT_EQ(run_tickpipe("replay --help").status, 0);
}

TEST(Cli, BadUsageExitsTwo) {
  EXPECT_EQ(run_tickpipe("").status, 2);
  EXPECT_EQ(run_tickpipe("frobnicate").status, 2);
  EXPECT_EQ(run_tickpipe("replay --mode sideways").status, 2);
  const auto r = run_tickpipe("replay " + kSample);
  EXPECT_EQ(r.status, 2) << "a capture without a config";
  EXPECT_NE(r.output.find("-c CONFIG"), std::string::npos) << r.output;
}

// Issue 9, class 8: messages that say what is wrong.
TEST(Cli, UnknownCommandIsNamed) {
  const auto r = run_tickpipe("frobnicate");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.output.find("unknown command 'frobnicate'"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("subcommand is required"), std::string::npos) << r.output;
}

TEST(Cli, EmptyPathsAreUsageErrors) {
  for (const char* opt : {"--report", "--dump-messages", "--journal", "-c"}) {
    const auto r = run_tickpipe(std::string("replay ") + opt + " ''");
    EXPECT_EQ(r.status, 2) << opt << ": " << r.output;
    EXPECT_NE(r.output.find("empty"), std::string::npos) << opt << ": " << r.output;
  }
  for (const char* opt : {"--report", "--html", "--journal"}) {
    const auto r = run_tickpipe(std::string("bench ") + opt + " ''");
    EXPECT_EQ(r.status, 2) << opt << ": " << r.output;
  }
}

TEST(Cli, ConfigErrorsExitTwoAndNameTheKey) {
  TempDir dir;
  write_file(dir / "bad.toml", std::string(kBtcConfig) + "[[positions]]\nsymbol = \"ETHUSDT\"\nqty = \"1\"\nentry_price = \"1\"\n");
  auto r = run_tickpipe("replay " + kSample + " -c " + dir / "bad.toml" + " --journal " + dir / "j");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.output.find("positions[0].symbol"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("bad.toml:"), std::string::npos) << r.output;

  write_file(dir / "typo.toml", std::string(kBtcConfig) + "[sim]\nlatency = 5\n");
  r = run_tickpipe("replay " + kSample + " -c " + dir / "typo.toml" + " --journal " + dir / "j");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.output.find("unknown key 'sim.latency'"), std::string::npos) << r.output;

  write_file(dir / "syntax.toml", "[venue\nformat = 1\n");
  EXPECT_EQ(run_tickpipe("replay " + kSample + " -c " + dir / "syntax.toml" + " --journal " + dir / "j").status, 2);
  EXPECT_EQ(run_tickpipe("replay " + kSample + " -c " + dir / "missing.toml" + " --journal " + dir / "j").status, 2);
}

TEST(Cli, UnreadableCaptureExitsOne) {
  TempDir dir;
  write_file(dir / "c.toml", kBtcConfig);
  auto r = run_tickpipe("replay " + dir / "nope.pcap" + " -c " + dir / "c.toml" + " --journal " + dir / "j");
  EXPECT_EQ(r.status, 1) << r.output;
  EXPECT_NE(r.output.find("nope.pcap"), std::string::npos) << r.output;
  write_file(dir / "garbage.pcap", std::string(4096, 'x'));
  r = run_tickpipe("replay " + dir / "garbage.pcap" + " -c " + dir / "c.toml" + " --journal " + dir / "j");
  EXPECT_EQ(r.status, 1) << "not a capture at all: " << r.output;
  r = run_tickpipe("replay --mode threaded " + dir / "nope.pcap" + " -c " + dir / "c.toml" + " --journal " + dir / "j");
  EXPECT_EQ(r.status, 1) << r.output;
}

TEST(Cli, TruncatedCaptureIsProcessedAndCounted) {
  TempDir dir;
  write_file(dir / "c.toml", kBtcConfig);
  const std::string whole = read_file(kSample);
  write_file(dir / "cut.pcap", whole.substr(0, whole.size() / 2 + 13));  // ends inside a record
  const auto r = run_tickpipe("replay " + dir / "cut.pcap" + " -c " + dir / "c.toml" + " --journal " + dir / "j" +
                              " --report " + dir / "r.json");
  ASSERT_EQ(r.status, 0) << r.output;
  const auto rep = nlohmann::json::parse(read_file(dir / "r.json"));
  EXPECT_EQ(rep["decode"]["truncated_file"], 1);
  EXPECT_GT(rep["events"].get<int>(), 1000);
  EXPECT_LT(rep["events"].get<int>(), 3199);
}

// The loopback captures of real Binance payloads (tests/data/derived-loopback/SOURCE.md):
// --dump-messages must hold exactly the 2,000 payloads, for plain WebSocket, permessage-deflate
// and UDP alike, and every one of them is a valid configured market message.
class DerivedLoopback : public ::testing::TestWithParam<const char*> {};

TEST_P(DerivedLoopback, DumpMessagesEqualsExpectedPayloads) {
  TempDir dir;
  write_file(dir / "c.toml", kBtcConfig);
  const std::string cap = kData + "/derived-loopback/" + GetParam();
  const auto r = run_tickpipe("replay " + cap + " -c " + dir / "c.toml" + " --journal " + dir / "j" +
                              " --dump-messages " + dir / "m.txt" + " --report " + dir / "r.json");
  ASSERT_EQ(r.status, 0) << r.output;
  const std::string expected = testing::read_gz(kData + "/derived-loopback/expected_payloads.jsonl.gz");
  ASSERT_FALSE(expected.empty());
  const std::string got = read_file(dir / "m.txt");
  EXPECT_EQ(testing::split_lines(got).size(), 2000u);
  EXPECT_TRUE(got == expected) << "dump differs from the expected payloads";
  const auto rep = nlohmann::json::parse(read_file(dir / "r.json"));
  for (const auto& [k, v] : rep["messages"]["dropped"].items()) EXPECT_EQ(v, 0) << k;
}

INSTANTIATE_TEST_SUITE_P(Captures, DerivedLoopback,
                         ::testing::Values("binance_spot_ws_plain_8080.pcap",
                                           "binance_spot_ws_permessage_deflate_9001.pcap",
                                           "binance_spot_udp_json_30001.pcap"));

TEST(Cli, FixCaptureYieldsNoMarketMessages) {
  TempDir dir;
  write_file(dir / "c.toml", kBtcConfig);
  const auto r = run_tickpipe("replay " + kData + "/derived-loopback/fix44_quickfix_executor_5001.pcap -c " +
                              dir / "c.toml" + " --journal " + dir / "j" + " --dump-messages " + dir / "m.txt" +
                              " --report " + dir / "r.json");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_TRUE(read_file(dir / "m.txt").empty());
  const auto rep = nlohmann::json::parse(read_file(dir / "r.json"));
  EXPECT_EQ(rep["decode"]["not_websocket"], 1);
}

}  // namespace
}  // namespace tp
