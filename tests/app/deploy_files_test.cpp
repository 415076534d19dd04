// The files in deploy/ are checked by the tools that will read them: Prometheus's promtool (the
// scrape configuration, the alert rules and their unit tests) and systemd-analyze (the unit).
// Both tools come from Debian packages scripts/setup.sh installs (prometheus, systemd).
#include <gtest/gtest.h>

#include <string>

#include "cli_runner.hpp"

namespace tp {
namespace {

const std::string kDeploy = std::string(TP_SOURCE_DIR) + "/deploy";

using testing::run_command;

bool have(const std::string& tool) { return run_command("command -v " + tool).status == 0; }

TEST(DeployFiles, PrometheusConfigRulesAndRuleTestsPassPromtool) {
  ASSERT_TRUE(have("promtool")) << "promtool is missing: apt-get install prometheus (scripts/setup.sh does)";
  for (const std::string& cmd : {"promtool check config " + kDeploy + "/prometheus/prometheus.yml",
                                 "promtool check rules " + kDeploy + "/prometheus/tickpipe-alerts.yml",
                                 "cd " + kDeploy + "/prometheus && promtool test rules tickpipe-alerts.test.yml"}) {
    const auto r = run_command(cmd);
    EXPECT_EQ(r.status, 0) << cmd << "\n" << r.output;
  }
}

TEST(DeployFiles, TheSystemdUnitVerifiesAndSaysWhatProductionNeeds) {
  const std::string unit = testing::read_file(kDeploy + "/systemd/tickpipe.service");
  ASSERT_FALSE(unit.empty());
  for (const char* line : {"Type=notify", "NotifyAccess=main", "WatchdogSec=", "Restart=on-failure",
                           "RestartPreventExitStatus=2", "LimitMEMLOCK=infinity", "CAP_SYS_NICE", "CAP_IPC_LOCK",
                           "CPUAffinity=", "KillSignal=SIGTERM", "StartLimitBurst="})
    EXPECT_NE(unit.find(line), std::string::npos) << line;
  ASSERT_TRUE(have("systemd-analyze")) << "systemd-analyze is missing: apt-get install systemd (scripts/setup.sh does)";
  const auto r = run_command("systemd-analyze verify " + kDeploy + "/systemd/tickpipe.service");
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_EQ(r.output.find("tickpipe.service:"), std::string::npos) << "no complaint about the unit itself:\n" << r.output;
}

}  // namespace
}  // namespace tp
