#include "ops/health.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "ops/stall_tracker.hpp"

namespace tp::ops {
namespace {

TEST(StallTracker, AStageWhoseHeartbeatStandsStillStallsAndRecovers) {
  StageHeartbeats hb;
  StallTracker t(100);
  hb[Stage::Strategy].present = 1;
  hb[Stage::Gateway].present = 1;
  t.sample(hb, 1000);
  EXPECT_EQ(t.stalled_for_ms(Stage::Strategy, 1000), -1);
  hb[Stage::Gateway].beat();
  t.sample(hb, 1060);
  hb[Stage::Gateway].beat();
  t.sample(hb, 1120);
  EXPECT_EQ(t.stalled_for_ms(Stage::Strategy, 1120), 120);  // no beat since 1000
  EXPECT_EQ(t.stalled_for_ms(Stage::Gateway, 1120), -1);
  EXPECT_EQ(t.stalled_for_ms(Stage::Feed, 1120), -1) << "a stage without a thread of its own never stalls";
  EXPECT_TRUE(t.any_stalled());
  hb[Stage::Strategy].beat();
  t.sample(hb, 1130);
  EXPECT_EQ(t.stalled_for_ms(Stage::Strategy, 1130), -1);
  EXPECT_FALSE(t.any_stalled());
}

TEST(StallTracker, WaitingOnPurposeIsNoStall) {
  StageHeartbeats hb;
  StallTracker t(100);
  hb[Stage::Feed].present = 1;
  hb[Stage::Feed].set_waiting(true);
  t.sample(hb, 0 + 1);
  t.sample(hb, 500);
  EXPECT_EQ(t.stalled_for_ms(Stage::Feed, 500), -1);
  hb[Stage::Feed].set_waiting(false);
  t.sample(hb, 550);
  t.sample(hb, 700);
  EXPECT_EQ(t.stalled_for_ms(Stage::Feed, 700), 200);  // counted from the last sample that saw it waiting
}

TEST(Health, EveryReasonIsNamed) {
  StageHeartbeats hb;
  StallTracker stalls(100);
  hb[Stage::Gateway].present = 1;
  stalls.sample(hb, 10);
  stalls.sample(hb, 500);
  HealthFacts f;
  f.started = true;
  f.state = "HALTED";
  f.state_reason = "loss_limit";
  f.stale = {{"BTCUSDT", 6000}};
  f.has_feed_connections = true;
  f.feed_connections = 3;
  f.feed_connections_open = 2;
  const HealthStatus h = evaluate_health(f, stalls, 500, false);
  EXPECT_FALSE(h.ok);
  ASSERT_EQ(h.reasons.size(), 4u);
  EXPECT_EQ(h.reasons[0], "stage gateway stalled for 490 ms");
  EXPECT_EQ(h.reasons[1], "symbol BTCUSDT stale: no book top for 6000 ms");
  EXPECT_EQ(h.reasons[2], "feed down: 1 of 3 connections not connected");
  EXPECT_EQ(h.reasons[3], "state HALTED (loss_limit)");
  const auto j = nlohmann::json::parse(health_json(h, f));
  EXPECT_EQ(j["status"], "fail");
  EXPECT_EQ(j["reasons"].size(), 4u);
}

TEST(Health, ReadyAlsoNeedsAStartedEngineThatIsNotStopping) {
  StallTracker stalls(100);
  HealthFacts f;
  f.state = "REDUCING";  // reducing is healthy: the operator asked for it
  EXPECT_TRUE(evaluate_health(f, stalls, 0, false).ok);
  const HealthStatus starting = evaluate_health(f, stalls, 0, true);
  ASSERT_FALSE(starting.ok);
  EXPECT_EQ(starting.reasons[0], "starting: no market event processed yet");
  f.started = true;
  EXPECT_TRUE(evaluate_health(f, stalls, 0, true).ok);
  f.stopping = true;
  EXPECT_EQ(evaluate_health(f, stalls, 0, true).reasons[0], "stopping");
  EXPECT_TRUE(evaluate_health(f, stalls, 0, false).ok);
}

}  // namespace
}  // namespace tp::ops

namespace tp::ops {
namespace {

// [cluster] (SPEC 13): Redis down is shown, and is a failure only once the instance failed closed.
TEST(Health, ClusterDownIsShownAndFailsOnlyOnceFailedClosed) {
  HealthFacts f;
  f.started = true;
  f.state = "ACTIVE";
  f.has_cluster = true;
  f.cluster = "down";
  const StallTracker stalls(1000);
  HealthStatus h = evaluate_health(f, stalls, 0, false);
  EXPECT_TRUE(h.ok) << "the instance trades on its own limits";
  auto j = nlohmann::json::parse(health_json(h, f));
  EXPECT_EQ(j["cluster"], "down");
  EXPECT_EQ(j["cluster_fail_closed"], false);
  f.cluster_fail_closed = true;
  f.state = "REDUCING";
  h = evaluate_health(f, stalls, 0, false);
  ASSERT_FALSE(h.ok);
  ASSERT_EQ(h.reasons.size(), 1u);
  EXPECT_EQ(h.reasons[0], "cluster down: REDUCING until Redis is back (fail-closed)");
  HealthFacts none;
  none.started = true;
  none.state = "ACTIVE";
  EXPECT_FALSE(nlohmann::json::parse(health_json(evaluate_health(none, stalls, 0, false), none)).contains("cluster"));
}

}  // namespace
}  // namespace tp::ops
