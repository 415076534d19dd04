#include <gtest/gtest.h>

#include <chrono>

#include "app/engine_runner.hpp"
#include "cli_runner.hpp"

namespace tp {
namespace {

TEST(ReplaySpeed, ParsesTheSpecForms) {
  double v = -1;
  EXPECT_TRUE(parse_speed("max", v));
  EXPECT_EQ(v, 0);
  EXPECT_TRUE(parse_speed("realtime", v));
  EXPECT_EQ(v, 1);
  EXPECT_TRUE(parse_speed("10x", v));
  EXPECT_EQ(v, 10);
  EXPECT_TRUE(parse_speed("0.5x", v));
  EXPECT_EQ(v, 0.5);
  for (const char* bad : {"", "x", "10", "-2x", "0x", "1e3x", "fast", ".5x", "5.x", "1.2.3x", " 2x"})
    EXPECT_FALSE(parse_speed(bad, v)) << bad;
}

// A lower bound only (a slow machine can only make it longer): the sample spans ~29.3 s of capture
// time between its first and last message, so at 200x the replay cannot finish in under ~146 ms.
TEST(ReplaySpeed, PacedReplayTakesAtLeastCaptureTimeOverSpeed) {
  testing::TempDir dir;
  for (const char* mode : {"deterministic", "threaded"}) {
    const auto t0 = std::chrono::steady_clock::now();
    const auto r = testing::run_tickpipe(std::string("replay --speed 200x --mode ") + mode + " --journal " + dir / "j");
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    ASSERT_EQ(r.status, 0) << r.output;
    EXPECT_GE(secs, 0.14) << mode;
  }
}

}  // namespace
}  // namespace tp
