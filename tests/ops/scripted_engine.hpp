// ScriptedEngine: an ops::EngineView whose day P&L and state a test or benchmark sets, and which
// acts on the cluster link's commands as the strategy would (the state changes; a halt's flatten
// is only recorded). For ClusterLink tests (tests/ops/cluster_link_test.cpp) and the cluster
// benchmark (bench/cluster_bench.cpp).
#pragma once

#include <cstdio>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "ops/engine_view.hpp"

namespace tp::testing {

using ops::AdminAction;
using ops::AdminResult;
using ops::EngineView;
using ops::HealthFacts;
using ops::PrometheusText;

class ScriptedEngine final : public EngineView {
 public:
  ScriptedEngine() : log_file_(std::tmpfile()), log_(LogLevel::Debug, log_file_) {}
  ~ScriptedEngine() override { std::fclose(log_file_); }

  void set_day_pnl(const std::string& pnl) {
    const std::lock_guard<std::mutex> g(mu_);
    day_pnl_ = pnl;
  }
  void set_state(const std::string& s) {
    const std::lock_guard<std::mutex> g(mu_);
    state_ = s;
  }
  std::string state() const {
    const std::lock_guard<std::mutex> g(mu_);
    return state_;
  }
  std::vector<AdminAction> commands() const {
    const std::lock_guard<std::mutex> g(mu_);
    return commands_;
  }
  std::size_t count(AdminAction a) const {
    const std::lock_guard<std::mutex> g(mu_);
    std::size_t n = 0;
    for (const AdminAction c : commands_) n += c == a ? 1 : 0;
    return n;
  }
  std::string log_text() {
    std::fflush(log_file_);
    std::rewind(log_file_);
    std::string s;
    char buf[4096];
    for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, log_file_)) > 0;) s.append(buf, n);
    std::fseek(log_file_, 0, SEEK_END);
    return s;
  }

  const StageHeartbeats& heartbeats() const override { return beats_; }
  HealthFacts health_facts() const override { return {}; }
  void metrics(PrometheusText&) const override {}
  std::string state_json() const override {
    const std::lock_guard<std::mutex> g(mu_);
    nlohmann::json j;
    j["state"] = state_;
    j["state_reason"] = nullptr;
    j["day_pnl"] = day_pnl_;
    j["positions"] = nlohmann::json::array({{{"symbol", "BTCUSDT"}, {"qty", "0.5"}, {"entry_price", "60000"},
                                             {"mark", "60100"}, {"unrealized_pnl", "50"}, {"realized_pnl", "0"}}});
    return j.dump();
  }
  AdminResult admin(AdminAction, std::string_view) override { return {}; }
  bool cluster_command(AdminAction a) override {
    const std::lock_guard<std::mutex> g(mu_);
    commands_.push_back(a);
    state_ = a == AdminAction::Halt ? "HALTED" : a == AdminAction::Reduce ? "REDUCING" : "ACTIVE";
    return true;
  }
  EventLog& log() override { return log_; }

 private:
  mutable std::mutex mu_;
  std::string state_ = "ACTIVE";
  std::string day_pnl_ = "0";
  std::vector<AdminAction> commands_;
  StageHeartbeats beats_;
  std::FILE* log_file_;
  EventLog log_;
};

}  // namespace tp::testing
