// The FIX session against a scripted raw-socket acceptor: what a real QuickFIX acceptor never sends
// (wrong CompIDs, a first message that is not a Logon, fields out of order, a SequenceReset-Reset, a
// gap fill that goes backwards, a PossDup resend of a fill already applied, no Logon answer at all).
// The acceptor here is a listening socket on 127.0.0.1:0 and hand-written messages; everything is
// polled from the test thread with time bounds.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>

#include "exec/fix/fix_framer.hpp"
#include "exec/fix/fix_message.hpp"
#include "tests/exec/fix_venue_harness.hpp"

namespace tp {
namespace {

using namespace std::chrono_literals;
using testing::FixVenueHarness;
using testing::ScratchDir;
using testing::fix_config;
using testing::fx;
using testing::market_order;

// A FIX message from the acceptor: header, `body` ("tag=value|..." with '|' for SOH), length and
// checksum. `sender`/`target` as the acceptor writes them.
std::string fix_msg(const std::string& type, uint64_t seq, std::string body, bool poss_dup = false,
                    const std::string& sender = "EXECUTOR", const std::string& target = "CLIENT1") {
  for (char& c : body)
    if (c == '|') c = '\x01';
  std::string b = "35=" + type + "\x01" "49=" + sender + "\x01" "56=" + target + "\x01" "34=" + std::to_string(seq) + "\x01";
  if (poss_dup) b += "43=Y\x01" "122=20261205-00:00:00.000\x01";
  b += "52=20261205-00:00:00.000\x01" + body;
  std::string m = "8=FIX.4.4\x01" "9=" + std::to_string(b.size()) + "\x01" + b;
  unsigned sum = 0;
  for (const char c : m) sum += static_cast<unsigned char>(c);
  char tail[8];
  std::snprintf(tail, sizeof tail, "10=%03u\x01", sum & 0xff);
  return m + tail;
}

struct Received {
  std::string type;
  uint64_t seq;
  std::string raw;
};

class RawAcceptor {
 public:
  RawAcceptor() {
    listen_ = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(listen_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(listen_, 4) != 0)
      throw std::runtime_error("cannot listen on 127.0.0.1");
    socklen_t len = sizeof a;
    ::getsockname(listen_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
  }
  ~RawAcceptor() {
    if (conn_ >= 0) ::close(conn_);
    ::close(listen_);
  }
  int port() const { return port_; }
  int connections() const { return accepted_; }
  bool connected() const { return conn_ >= 0; }
  std::vector<Received>& received() { return received_; }
  bool got(const std::string& type) const {
    for (const auto& r : received_)
      if (r.type == type) return true;
    return false;
  }
  std::size_t count(const std::string& type) const {
    std::size_t n = 0;
    for (const auto& r : received_) n += r.type == type;
    return n;
  }
  // Accepts a waiting connection, reads what arrived (messages into received()); notices a close.
  void pump() {
    const int c = ::accept4(listen_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (c >= 0) {
      if (conn_ >= 0) ::close(conn_);
      conn_ = c;
      ++accepted_;
      framer_.reset();
    }
    if (conn_ < 0) return;
    char buf[4096];
    for (;;) {
      const ssize_t n = ::recv(conn_, buf, sizeof buf, MSG_DONTWAIT);
      if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
        ::close(conn_);
        conn_ = -1;
        return;
      }
      if (n < 0) return;
      framer_.feed(buf, static_cast<std::size_t>(n), [&](std::string_view m) {
        fix::FixMessage msg;
        if (msg.parse(m)) received_.push_back({std::string(msg.msg_type()), msg.seq(), std::string(m)});
      });
    }
  }
  // Drops the connection (as an acceptor that fails), forgetting what it received.
  void drop() {
    if (conn_ >= 0) ::close(conn_);
    conn_ = -1;
    received_.clear();
  }
  void send(const std::string& bytes) {
    ASSERT_GE(conn_, 0);
    ASSERT_EQ(::send(conn_, bytes.data(), bytes.size(), MSG_NOSIGNAL), static_cast<ssize_t>(bytes.size()));
  }
  // Answers the client's Logon (seq `seq`).
  void logon_answer(uint64_t seq) { send(fix_msg("A", seq, "98=0|108=30|")); }

 private:
  int listen_ = -1;
  int conn_ = -1;
  int port_ = 0;
  int accepted_ = 0;
  fix::FixFramer framer_;
  std::vector<Received> received_;
};

struct Rig {
  ScratchDir dir;
  RawAcceptor acc;
  FixVenueHarness h{fix_config(acc.port(), dir / "store")};
  bool until(const std::function<bool()>& cond, std::chrono::milliseconds t = 5s) {
    return h.poll_until([&] {
      acc.pump();
      return cond();
    }, t);
  }
  void logged_on() {
    ASSERT_TRUE(until([&] { return acc.got("A"); }));
    acc.logon_answer(1);
    ASSERT_TRUE(until([&] { return h.venue().session().logged_on(); }));
  }
};

std::string trade(const std::string& clordid, const std::string& exec_id, const char* qty, const char* cum,
                  char status) {
  return "37=O1|11=" + clordid + "|17=" + exec_id + "|150=F|39=" + std::string(1, status) +
         "|55=BTCUSDT|54=1|38=0.2|32=" + qty + "|31=65000|14=" + cum + "|151=0|6=65000|";
}

TEST(FixSessionUnit, CompIdMismatchLogsOut) {
  Rig r;
  ASSERT_TRUE(r.until([&] { return r.acc.got("A"); }));
  r.acc.send(fix_msg("A", 1, "98=0|108=30|", false, "SOMEONE_ELSE"));
  ASSERT_TRUE(r.until([&] { return r.acc.got("5"); }));
  EXPECT_EQ(r.h.venue().session().stats().comp_id_mismatch, 1u);
  EXPECT_EQ(r.h.venue().session().stats().logons, 0u);
  EXPECT_FALSE(r.h.venue().session().logged_on());
}

TEST(FixSessionUnit, FirstMessageNotLogonLogsOut) {
  Rig r;
  ASSERT_TRUE(r.until([&] { return r.acc.got("A"); }));
  r.acc.send(fix_msg("0", 1, ""));
  ASSERT_TRUE(r.until([&] { return r.acc.got("5"); }));
  EXPECT_FALSE(r.h.venue().session().logged_on());
}

TEST(FixSessionUnit, FirstThreeFieldsOutOfOrderIgnored) {
  Rig r;
  r.logged_on();
  // 35 after 49: not a FIX message the rules accept; ignored, its number not consumed.
  std::string bad = fix_msg("0", 2, "");
  const std::size_t t = bad.find("35=0\x01");
  bad.erase(t, 5);
  bad.insert(bad.find("56="), "35=0\x01");
  // Fix the checksum up so only the field order is wrong.
  bad.erase(bad.size() - 7);
  unsigned sum = 0;
  for (const char c : bad) sum += static_cast<unsigned char>(c);
  char tail[8];
  std::snprintf(tail, sizeof tail, "10=%03u\x01", sum & 0xff);
  r.acc.send(bad + tail);
  r.h.poll_for(100ms);
  EXPECT_EQ(r.h.venue().session().stats().garbled, 1u);
  EXPECT_EQ(r.h.venue().session().next_target_seq(), 2u);
  r.acc.send(fix_msg("0", 2, ""));  // the same number again, well formed: processed
  ASSERT_TRUE(r.until([&] { return r.h.venue().session().next_target_seq() == 3; }));
  EXPECT_TRUE(r.h.venue().session().logged_on());
}

TEST(FixSessionUnit, SequenceResetResetMode) {
  Rig r;
  r.logged_on();
  // Reset mode sets the expected number whatever the message's own number is.
  r.acc.send(fix_msg("4", 99, "36=50|"));
  ASSERT_TRUE(r.until([&] { return r.h.venue().session().next_target_seq() == 50; }));
  r.acc.send(fix_msg("0", 50, ""));
  ASSERT_TRUE(r.until([&] { return r.h.venue().session().next_target_seq() == 51; }));
  EXPECT_EQ(r.h.venue().session().stats().resend_requests_out, 0u);
  // A Reset to a lower number is refused (counted), the expected number kept.
  r.acc.send(fix_msg("4", 51, "36=10|"));
  r.h.poll_for(100ms);
  EXPECT_EQ(r.h.venue().session().next_target_seq(), 51u);
}

TEST(FixSessionUnit, GapFillLowerNewSeqNoIgnored) {
  Rig r;
  r.logged_on();
  r.acc.send(fix_msg("4", 2, "123=Y|36=2|"));  // does not move forward
  r.h.poll_for(100ms);
  EXPECT_EQ(r.h.venue().session().next_target_seq(), 3u);  // its own number is consumed
  EXPECT_TRUE(r.h.venue().session().logged_on());
  r.acc.send(fix_msg("4", 3, "123=Y|36=7|"));
  ASSERT_TRUE(r.until([&] { return r.h.venue().session().next_target_seq() == 7; }));
}

TEST(FixSessionUnit, PossDupBelowExpectedIgnored) {
  Rig r;
  r.logged_on();
  r.h.submit(market_order(1, Side::Buy, "0.2"));
  ASSERT_TRUE(r.until([&] { return r.acc.got("D"); }));
  const std::string id = r.h.clordid(1);
  r.acc.send(fix_msg("8", 2, trade(id, "E1", "0.1", "0.1", '1')));
  ASSERT_TRUE(r.until([&] { return r.h.of(1, ExecKind::Fill).size() == 1; }));
  // The same report again: below the expected number with PossDup (a resend): ignored.
  r.acc.send(fix_msg("8", 2, trade(id, "E1", "0.1", "0.1", '1'), true));
  r.h.poll_for(100ms);
  EXPECT_EQ(r.h.venue().session().stats().duplicates_ignored, 1u);
  EXPECT_EQ(r.h.of(1, ExecKind::Fill).size(), 1u);
  EXPECT_TRUE(r.h.venue().session().logged_on());
}

// A report sent again under a new sequence number (PossDup, or a venue's own repeat) is recognised
// by its ExecID and CumQty: the fill is applied once.
TEST(FixSessionUnit, PossDupResendNotAppliedTwice) {
  Rig r;
  r.logged_on();
  r.h.submit(market_order(1, Side::Buy, "0.2"));
  ASSERT_TRUE(r.until([&] { return r.acc.got("D"); }));
  const std::string id = r.h.clordid(1);
  r.acc.send(fix_msg("8", 2, trade(id, "E1", "0.1", "0.1", '1')));
  r.acc.send(fix_msg("8", 3, trade(id, "E1", "0.1", "0.1", '1'), true));  // same ExecID
  r.acc.send(fix_msg("8", 4, trade(id, "E2", "0.1", "0.2", '2')));
  r.acc.send(fix_msg("8", 5, trade(id, "E2", "0.1", "0.2", '2'), true));  // after the order ended
  ASSERT_TRUE(r.until([&] { return r.h.venue().session().next_target_seq() == 6; }));
  const auto fills = r.h.of(1, ExecKind::Fill);
  ASSERT_EQ(fills.size(), 2u);
  EXPECT_EQ(r.h.filled(1), fx("0.2"));
  EXPECT_TRUE(fills[1].last);
  EXPECT_EQ(r.h.venue().stats().duplicate_reports, 2u);
}

TEST(FixSessionUnit, TestRequestAnswered) {
  Rig r;
  r.logged_on();
  r.acc.send(fix_msg("1", 2, "112=PING-7|"));
  ASSERT_TRUE(r.until([&] { return r.acc.got("0"); }));
  bool echoed = false;
  for (const auto& m : r.acc.received())
    if (m.type == "0") echoed = echoed || m.raw.find("\x01" "112=PING-7\x01") != std::string::npos;
  EXPECT_TRUE(echoed);
  EXPECT_EQ(r.h.venue().session().next_target_seq(), 3u);
}

// After a reconnect the engine asks for the state of the order it had in flight; the acceptor's
// ResendRequest arrives only after that status request, and the gap fill that answers it voids the
// status request too (an acceptor drops what it queued behind the gap). The engine must ask again,
// after the gap fill.
TEST(FixSessionUnit, StatusRequestVoidedByGapFillIsSentAgain) {
  Rig r;
  r.logged_on();
  r.h.submit(market_order(1, Side::Buy, "0.2"));
  ASSERT_TRUE(r.until([&] { return r.acc.got("D"); }));
  const uint64_t order_seq = r.acc.received().back().seq;
  r.acc.drop();
  ASSERT_TRUE(r.until([&] { return r.acc.connections() == 2 && r.acc.got("A"); }));
  r.acc.logon_answer(2);
  ASSERT_TRUE(r.until([&] { return r.acc.got("H"); }));
  EXPECT_EQ(r.acc.count("H"), 1u);
  r.acc.send(fix_msg("2", 3, "7=" + std::to_string(order_seq) + "|16=0|"));
  ASSERT_TRUE(r.until([&] { return r.acc.count("H") == 2; }));
  uint64_t gap_fill_to = 0;
  uint64_t second_status_seq = 0;
  for (const auto& m : r.acc.received()) {
    fix::FixMessage msg;
    ASSERT_TRUE(msg.parse(m.raw));
    if (m.type == "4") gap_fill_to = msg.get_uint(fix::tag::NewSeqNo).value_or(0);
    if (m.type == "H") second_status_seq = m.seq;
  }
  EXPECT_GT(gap_fill_to, 0u);
  EXPECT_EQ(second_status_seq, gap_fill_to);  // the first number after the gap fill
  // The acceptor never had the order: its answer rejects it.
  r.acc.send(fix_msg("8", 4, "37=NONE|11=" + r.h.clordid(1) + "|17=S1|150=I|39=8|55=BTCUSDT|54=1|14=0|151=0|6=0|58=unknown order|"));
  ASSERT_TRUE(r.until([&] { return r.h.finished(1); }));
  EXPECT_EQ(r.h.of(1, ExecKind::Reject).size(), 1u);
}

TEST(FixSessionUnit, LogonTimeout) {
  ScratchDir dir;
  RawAcceptor acc;
  FixConfig cfg = fix_config(acc.port(), dir / "store");
  cfg.logon_timeout_ms = 300;
  FixVenueHarness h(cfg);
  // Accept, read the Logon, never answer: the session gives up and connects again.
  ASSERT_TRUE(h.poll_until([&] {
    acc.pump();
    return acc.connections() >= 2;
  }, 5s));
  EXPECT_GE(h.venue().session().stats().logon_timeouts, 1u);
  EXPECT_EQ(h.venue().session().stats().logons, 0u);
}

}  // namespace
}  // namespace tp
