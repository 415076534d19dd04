#include "core/telemetry/event_log.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <vector>
#include <string>

namespace tp {
namespace {

std::string read_all(std::FILE* f) {
  std::rewind(f);
  std::string out;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  return out;
}

TEST(LogFields, ValuesAreQuotedAndEscapedAsLogfmtNeeds) {
  LogFields f;
  f.add("plain", "abc").add("space", "a b").add("quote", "say \"hi\"").add("empty", "");
  f.add("n", int64_t{-5}).add("u", uint64_t{7}).add("ok", true).add("nl", "a\nb").add("ctl", std::string_view("\x01", 1));
  EXPECT_EQ(std::string(f.view()),
            R"(plain=abc space="a b" quote="say \"hi\"" empty="" n=-5 u=7 ok=true nl="a\nb" ctl="\x01")");
}

TEST(LogFields, ALineTooLongIsCutAtAFieldAndSaysSo) {
  LogFields f;
  const std::string big(150, 'x');
  for (int i = 0; i < 5; ++i) f.add("k", big);
  const std::string v(f.view());
  EXPECT_LE(v.size(), LogFields::kCapacity);
  EXPECT_EQ(v.substr(v.size() - 15), " truncated=true");
  f.add("more", "ignored");
  EXPECT_EQ(std::string(f.view()), v);
}

TEST(EventLog, LinesHaveTimeLevelAndEventAndBelowTheLevelNothing) {
  std::FILE* out = std::tmpfile();
  ASSERT_NE(out, nullptr);
  EventLog log(LogLevel::Info, out);
  LogFields f;
  log.write(LogLevel::Debug, "hidden", f);
  log.write(LogLevel::Warn, "feed_disconnected", f.add("reason", "reset"));
  log.post(LogLevel::Info, "feed_connected", LogFields{});
  EXPECT_EQ(log.lines(), 1u) << "posted lines wait for drain()";
  log.drain();
  const std::string text = read_all(out);
  std::fclose(out);
  // Two lines: "ts=<YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ> level=<l> event=<e>[ <fields>]".
  std::vector<std::string> lines;
  for (std::size_t at = 0, nl; (nl = text.find('\n', at)) != std::string::npos; at = nl + 1)
    lines.push_back(text.substr(at, nl - at));
  ASSERT_EQ(lines.size(), 2u) << text;
  for (const auto& l : lines) {
    ASSERT_GE(l.size(), 34u) << l;
    EXPECT_EQ(l.substr(0, 3), "ts=");
    EXPECT_EQ(l[7], '-');
    EXPECT_EQ(l[13], 'T');
    EXPECT_EQ(l[22], '.');
    EXPECT_EQ(l.substr(32, 2), "Z ") << l;
  }
  EXPECT_EQ(lines[0].substr(34), "level=warn event=feed_disconnected reason=reset");
  EXPECT_EQ(lines[1].substr(34), "level=info event=feed_connected");
  EXPECT_EQ(text.find("hidden"), std::string::npos);
  LogLevel l{};
  EXPECT_TRUE(parse_log_level("error", l));
  EXPECT_EQ(l, LogLevel::Error);
  EXPECT_FALSE(parse_log_level("verbose", l));
}

TEST(EventLog, AFullRingCountsDropsInsteadOfBlocking) {
  std::FILE* out = std::tmpfile();
  EventLog log(LogLevel::Info, out);
  for (int i = 0; i < 1000; ++i) log.post(LogLevel::Info, "x", LogFields{});
  EXPECT_GT(log.dropped(), 0u);
  log.drain();
  EXPECT_EQ(log.lines() + log.dropped(), 1000u);
  std::fclose(out);
}

}  // namespace
}  // namespace tp
