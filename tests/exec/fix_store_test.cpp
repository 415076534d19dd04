// FixStore: the session's numbers and sent messages survive a restart, a record cut short by a
// crash is cut off on open, a second process cannot take the same session, and what is not a store
// is refused with a message.
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

#include "exec/fix/fix_store.hpp"
#include "tests/exec/fix_venue_harness.hpp"

namespace tp::fix {
namespace {

using tp::testing::ScratchDir;

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(FixStore, NumbersAndMessagesSurviveARestart) {
  ScratchDir dir;
  uint64_t first = 0;
  std::string path;
  {
    FixStore s(dir / "store", "CLIENT1", "EXECUTOR");
    EXPECT_EQ(s.next_sender_seq(), 1u);
    EXPECT_EQ(s.next_target_seq(), 1u);
    first = s.incarnation();
    path = s.path();
    ASSERT_TRUE(s.record_sent(1, "8=FIX.4.4\x01" "9=5\x01" "35=A\x01" "10=000\x01"));
    ASSERT_TRUE(s.record_received(1));
    ASSERT_TRUE(s.record_sent(2, "x\ny"));  // a message's bytes are stored as they are
    ASSERT_TRUE(s.record_received(2));
    ASSERT_TRUE(s.record_received(3));
  }
  EXPECT_EQ(path, dir / "store" + "/CLIENT1-EXECUTOR.fixstore");
  FixStore s(dir / "store", "CLIENT1", "EXECUTOR");
  EXPECT_EQ(s.next_sender_seq(), 3u);
  EXPECT_EQ(s.next_target_seq(), 4u);
  EXPECT_EQ(s.messages_sent(), 2u);
  EXPECT_GT(s.incarnation(), first);
  ASSERT_TRUE(s.reset(1, 1));
  EXPECT_EQ(s.next_sender_seq(), 1u);
}

TEST(FixStore, RecordCutShortByACrashIsCutOff) {
  ScratchDir dir;
  std::string path;
  {
    FixStore s(dir / "store", "C", "E");
    path = s.path();
    ASSERT_TRUE(s.record_sent(1, "abc"));
    ASSERT_TRUE(s.record_received(5));
  }
  const std::string whole = slurp(path);
  {
    std::ofstream out(path, std::ios::app | std::ios::binary);
    out << "S 2 100\n8=FIX.4.4";  // the process died in the middle of this message
  }
  FixStore s(dir / "store", "C", "E");
  EXPECT_EQ(s.next_sender_seq(), 2u);
  EXPECT_EQ(s.next_target_seq(), 6u);
  EXPECT_EQ(s.truncated_bytes(), 17u);
  const std::string now = slurp(path);
  EXPECT_EQ(now.substr(0, whole.size()), whole);  // the cut-off tail is gone, an I record follows
  EXPECT_EQ(now.substr(whole.size(), 2), "I ");
}

TEST(FixStore, OneProcessPerSession) {
  ScratchDir dir;
  FixStore a(dir / "store", "C", "E");
  try {
    FixStore b(dir / "store", "C", "E");
    ADD_FAILURE() << "a second store on the same session opened";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("in use by another process"), std::string::npos) << e.what();
  }
}

TEST(FixStore, NotAStoreIsRefused) {
  ScratchDir dir;
  ::mkdir((dir / "store").c_str(), 0755);
  {
    std::ofstream out(dir / "store/C-E.fixstore");
    out << "hello world\n";
  }
  try {
    FixStore s(dir / "store", "C", "E");
    ADD_FAILURE() << "opened a file that is not a store";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("not a tickpipe FIX store"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace tp::fix
