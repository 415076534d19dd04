// `tickpipe cluster status|halt|reduce|resume` (SPEC §13) against a real redis-server and a running
// tickpipe instance: status shows it; a command without the admin token is refused before it
// reaches Redis; a signed halt reaches the instance (its journal keeps the cluster's command) and
// a signed resume brings it back.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "../peers/redis_server.hpp"
#include "cli_runner.hpp"
#include "journal_checks.hpp"

namespace tp {
namespace {

using namespace std::chrono_literals;

TEST(ClusterCli, StatusShowsTheInstanceAndSignedCommandsReachIt) {
  testing::RedisServer redis;
  testing::TempDir dir;
  std::string toml = testing::read_file(std::string(TP_SOURCE_DIR) + "/config/sample.toml");
  toml += "\n[cluster]\nredis_url = \"" + redis.url() +
          "\"\ninstance = \"desk-1\"\nfirm_daily_loss_limit = \"5000\"\nheartbeat_ms = 20\n";
  testing::write_file(dir / "c.toml", toml);
  ::setenv("TP_TEST_CLUSTER_TOKEN", "tok-123", 1);
  testing::write_file(dir / "c.toml", toml + "[ops]\nadmin_token_env = \"TP_TEST_CLUSTER_TOKEN\"\n");
  // The sample paced at 0.5x runs a minute: stopped below once the commands are checked.
  const pid_t pid = testing::spawn_tickpipe({"replay", std::string(TP_SOURCE_DIR) + "/samples/binance-btcusdt-3200.pcap",
                                             "-c", dir / "c.toml", "--speed", "0.5x", "--journal", dir / "j.jsonl"},
                                            dir / "err.txt");
  ::unsetenv("TP_TEST_CLUSTER_TOKEN");
  ASSERT_GT(pid, 0);
  const auto until = std::chrono::steady_clock::now() + 30s;
  while (std::chrono::steady_clock::now() < until) {
    try {
      if (redis.command({"HGET", "tickpipe:instance:desk-1", "state"}) == "ACTIVE") break;
    } catch (const std::runtime_error&) {
    }
    std::this_thread::sleep_for(20ms);
  }
  const std::string cli = std::string(TP_TICKPIPE_BIN) + " cluster ";
  const std::string cfg = " -c " + dir / "c.toml";

  const testing::CliResult st = testing::run_command(cli + "status" + cfg);
  EXPECT_EQ(st.status, 0) << st.output;
  EXPECT_NE(st.output.find("firm: ACTIVE"), std::string::npos) << st.output;
  EXPECT_NE(st.output.find("desk-1"), std::string::npos) << st.output;
  EXPECT_NE(st.output.find("BTCUSDT 0.5"), std::string::npos) << st.output;
  const testing::CliResult js = testing::run_command(cli + "status --json" + cfg);
  ASSERT_EQ(js.status, 0) << js.output;
  const auto j = nlohmann::json::parse(js.output);
  ASSERT_EQ(j["instances"].size(), 1u);
  EXPECT_EQ(j["instances"][0]["name"], "desk-1");
  EXPECT_EQ(j["instances"][0]["live"], true);

  const testing::CliResult no_token = testing::run_command(cli + "halt" + cfg);
  EXPECT_EQ(no_token.status, 1) << no_token.output;
  EXPECT_NE(no_token.output.find("TP_TEST_CLUSTER_TOKEN"), std::string::npos) << no_token.output;
  EXPECT_EQ(redis.command({"HGET", "tickpipe:firm:state", "state"}), "(nil)");

  const testing::CliResult wrong = testing::run_command("TP_TEST_CLUSTER_TOKEN=nope " + cli + "halt --wait 1 --by mallory" + cfg);
  EXPECT_EQ(wrong.status, 1) << "the instance refuses a command signed with another token: " << wrong.output;

  const testing::CliResult halt =
      testing::run_command("TP_TEST_CLUSTER_TOKEN=tok-123 " + cli + "halt --by alice@desk" + cfg);
  EXPECT_EQ(halt.status, 0) << halt.output;
  EXPECT_NE(halt.output.find("every live instance reports HALTED"), std::string::npos) << halt.output;
  const testing::CliResult resume =
      testing::run_command("TP_TEST_CLUSTER_TOKEN=tok-123 " + cli + "resume --by alice@desk" + cfg);
  EXPECT_EQ(resume.status, 0) << resume.output;
  EXPECT_EQ(redis.xrange_values("tickpipe:firm:events", "by"),
            (std::vector<std::string>{"mallory", "alice@desk", "alice@desk"}))
      << "the wrong-token command is kept too";

  ::kill(pid, SIGTERM);
  const testing::ChildExit e = testing::wait_exit(pid);
  EXPECT_EQ(e.code, 0) << testing::read_file(dir / "err.txt").substr(0, 2000);
  const std::string journal = testing::read_file(dir / "j.jsonl");
  testing::expect_complete_journal(journal);
  EXPECT_NE(journal.find("\"state\":\"HALTED\",\"flatten\":true,\"source\":\"cluster\""), std::string::npos) << journal;
  EXPECT_NE(journal.find("\"state\":\"ACTIVE\",\"flatten\":false,\"source\":\"cluster\""), std::string::npos) << journal;
  EXPECT_NE(testing::read_file(dir / "err.txt").find("event=cluster_command_refused"), std::string::npos);
}

TEST(ClusterCli, AConfigWithoutClusterOrAnUnreachableRedisIsAClearError) {
  testing::TempDir dir;
  testing::write_file(dir / "n.toml", testing::read_file(std::string(TP_SOURCE_DIR) + "/config/sample.toml"));
  const testing::CliResult none = testing::run_command(std::string(TP_TICKPIPE_BIN) + " cluster status -c " + dir / "n.toml");
  EXPECT_EQ(none.status, 2);
  EXPECT_NE(none.output.find("no [cluster] table"), std::string::npos) << none.output;
  // A port nobody listens on (the server started and stopped here had it).
  int port = 0;
  {
    testing::RedisServer gone;
    port = gone.port();
  }
  testing::write_file(dir / "d.toml", testing::read_file(std::string(TP_SOURCE_DIR) + "/config/sample.toml") +
                                          "\n[cluster]\nredis_url = \"redis://127.0.0.1:" + std::to_string(port) +
                                          "\"\ninstance = \"x\"\nfirm_daily_loss_limit = \"1\"\n");
  const testing::CliResult down = testing::run_command(std::string(TP_TICKPIPE_BIN) + " cluster status -c " + dir / "d.toml");
  EXPECT_EQ(down.status, 1);
  EXPECT_NE(down.output.find("127.0.0.1:" + std::to_string(port)), std::string::npos) << down.output;
}

}  // namespace
}  // namespace tp
