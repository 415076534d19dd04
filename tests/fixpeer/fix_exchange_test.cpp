// Self-test of tests/peers/fix_exchange (the QuickFIX-based FIX 4.4 exchange the FIX order-entry tests
// run against), through its launcher tests/peers/fix_exchange.hpp. The client here is a minimal FIX 4.4
// initiator over a plain socket whose messages are written by hand, so it also documents the wire
// format:
//
//   8=FIX.4.4 <SOH> 9=<BodyLength> <SOH> 35=<MsgType> <SOH> 34=<MsgSeqNum> <SOH> 49=CLIENT1 <SOH>
//   52=<SendingTime> <SOH> 56=EXECUTOR <SOH> ...body fields... 10=<CheckSum> <SOH>
//
// BodyLength counts the bytes from the first byte after "9=N<SOH>" up to and including the SOH before
// "10="; CheckSum is the sum of every byte before "10=", modulo 256, written as three digits.
// Every read has a timeout; the exchange heartbeats only where a test asks for it.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "tests/peers/fix_exchange.hpp"

namespace {

using namespace std::chrono_literals;
using tp::testing::FixExchange;

constexpr char kSoh = '\x01';

class ScratchDir {
 public:
  ScratchDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "tickpipe-fixpeer-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string operator/(const std::string& name) const {
    std::string p = path_;
    p.push_back('/');
    p.append(name);
    return p;
  }

 private:
  std::string path_;
};

std::string utc_now() {
  const auto now = std::chrono::system_clock::now();
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  const std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d%02d%02d-%02d:%02d:%02d.%03d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms % 1000));
  return buf;
}

unsigned checksum_of(const std::string& bytes) {
  unsigned sum = 0;
  for (unsigned char c : bytes) sum += c;
  return sum % 256;
}

using Fields = std::vector<std::pair<int, std::string>>;

// One received message: its fields (first occurrence of each tag) and its bytes ('|' for SOH).
struct FixMsg {
  std::map<int, std::string> f;
  std::string text;
  std::string type() const { return get(35); }
  int seq() const { return std::atoi(get(34).c_str()); }
  std::string get(int tag) const {
    auto it = f.find(tag);
    return it == f.end() ? std::string() : it->second;
  }
  bool has(int tag) const { return f.count(tag) != 0; }
};

// A minimal FIX 4.4 initiator: builds messages by hand, checks BodyLength and CheckSum of what it reads.
class FixClient {
 public:
  explicit FixClient(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd_ < 0 || ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
      throw std::runtime_error("connect to 127.0.0.1:" + std::to_string(port) + " failed");
    const int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  ~FixClient() {
    if (fd_ >= 0) ::close(fd_);
  }
  FixClient(const FixClient&) = delete;
  FixClient& operator=(const FixClient&) = delete;

  // The whole message for `type` with header, BodyLength and CheckSum.
  static std::string encode(const std::string& type, int seq, const Fields& body_fields,
                            const Fields& extra_header = {}) {
    std::string body;
    auto add = [&body](int tag, const std::string& value) {
      body.append(std::to_string(tag));
      body.push_back('=');
      body.append(value);
      body.push_back(kSoh);
    };
    add(35, type);
    add(34, std::to_string(seq));
    for (const auto& [tag, value] : extra_header) add(tag, value);  // e.g. PossDupFlag 43, OrigSendingTime 122
    add(49, "CLIENT1");
    add(52, utc_now());
    add(56, "EXECUTOR");
    for (const auto& [tag, value] : body_fields) add(tag, value);
    std::string msg = "8=FIX.4.4";
    msg.push_back(kSoh);
    msg.append("9=");
    msg.append(std::to_string(body.size()));
    msg.push_back(kSoh);
    msg.append(body);
    char trailer[16];
    std::snprintf(trailer, sizeof trailer, "10=%03u", checksum_of(msg));
    msg.append(trailer);
    msg.push_back(kSoh);
    return msg;
  }

  // Sends a message with the next sequence number (or `seq` when given, without advancing).
  void send(const std::string& type, const Fields& body = {}, std::optional<int> seq = std::nullopt,
            const Fields& extra_header = {}) {
    const int s = seq ? *seq : next_seq_++;
    write_raw(encode(type, s, body, extra_header));
  }
  void write_raw(const std::string& bytes) {
    std::size_t off = 0;
    while (off < bytes.size()) {
      const ssize_t n = ::send(fd_, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
      if (n <= 0) throw std::runtime_error("send failed");
      off += static_cast<std::size_t>(n);
    }
  }
  int next_seq() const { return next_seq_; }
  void set_next_seq(int s) { next_seq_ = s; }

  // The next message within `timeout` (nullopt: timeout or end of file; eof() tells which). Heartbeats
  // without TestReqID are skipped unless `keep_heartbeats`. A message whose BodyLength or CheckSum is
  // wrong fails the test.
  std::optional<FixMsg> read(std::chrono::milliseconds timeout = 5s, bool keep_heartbeats = false) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      if (auto m = extract()) {
        if (!keep_heartbeats && m->type() == "0" && !m->has(112)) continue;
        return m;
      }
      if (eof_) return std::nullopt;
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return std::nullopt;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
      char buf[8192];
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) {
        eof_ = true;
        continue;
      }
      buf_.append(buf, static_cast<std::size_t>(n));
    }
  }

  // Reads the next message and checks its type.
  FixMsg expect(const std::string& type, std::chrono::milliseconds timeout = 5s) {
    auto m = read(timeout);
    if (!m) {
      ADD_FAILURE() << "expected a 35=" << type << " message, got " << (eof_ ? "end of file" : "nothing (timeout)");
      return FixMsg{};
    }
    EXPECT_EQ(m->type(), type) << m->text;
    return *m;
  }

  // True once the exchange closed the connection (end of file within `timeout`, nothing else read).
  bool closed_within(std::chrono::milliseconds timeout) {
    auto m = read(timeout, true);
    if (m) ADD_FAILURE() << "expected the socket to close, read " << m->text;
    return !m && eof_;
  }

  void logon(int heartbeat_s = 30) { send("A", {{98, "0"}, {108, std::to_string(heartbeat_s)}}); }

  bool eof() const { return eof_; }

 private:
  std::optional<FixMsg> extract() {
    const std::size_t begin = buf_.find("8=FIX.4.4\x01" "9=");
    if (begin == std::string::npos) return std::nullopt;
    const std::size_t len_end = buf_.find(kSoh, begin + 12);
    if (len_end == std::string::npos) return std::nullopt;
    const std::size_t body_len = std::strtoul(buf_.c_str() + begin + 12, nullptr, 10);
    const std::size_t body_start = len_end + 1;
    if (buf_.size() < body_start + body_len + 7) return std::nullopt;
    const std::string trailer = buf_.substr(body_start + body_len, 7);
    const std::string head_and_body = buf_.substr(begin, body_start + body_len - begin);
    FixMsg m;
    m.text = buf_.substr(begin, body_start + body_len + 7 - begin);
    buf_.erase(0, body_start + body_len + 7);
    char want[16];
    std::snprintf(want, sizeof want, "10=%03u", checksum_of(head_and_body));
    EXPECT_EQ(trailer.substr(0, 6), std::string(want)) << "BodyLength or CheckSum wrong: " << m.text;
    EXPECT_EQ(trailer[6], kSoh) << "BodyLength or CheckSum wrong: " << m.text;
    std::size_t pos = 0;
    while (pos < m.text.size()) {
      std::size_t soh = m.text.find(kSoh, pos);
      if (soh == std::string::npos) soh = m.text.size();
      const std::size_t eq = m.text.find('=', pos);
      if (eq != std::string::npos && eq < soh) {
        const int tag = std::atoi(m.text.substr(pos, eq - pos).c_str());
        m.f.emplace(tag, m.text.substr(eq + 1, soh - eq - 1));
      }
      pos = soh + 1;
    }
    for (char& c : m.text)
      if (c == kSoh) c = '|';
    return m;
  }

  int fd_ = -1;
  int next_seq_ = 1;
  bool eof_ = false;
  std::string buf_;
};

Fields market_order(const std::string& clordid, const std::string& qty, const std::string& side = "1") {
  return {{11, clordid}, {21, "1"}, {38, qty}, {40, "1"}, {54, side}, {55, "BTCUSDT"}, {59, "3"}, {60, utc_now()}};
}

Fields limit_order(const std::string& clordid, const std::string& qty, const std::string& price) {
  return {{11, clordid}, {21, "1"}, {38, qty}, {40, "2"}, {44, price}, {54, "2"}, {55, "BTCUSDT"}, {59, "1"}, {60, utc_now()}};
}

// Decimal text -> units of 1e-8 (exact for the values used here).
long long e8(const std::string& s) {
  long long whole = 0, frac = 0;
  int digits = 0;
  bool dot = false;
  for (char c : s) {
    if (c == '.') {
      dot = true;
      continue;
    }
    if (!dot) {
      whole = whole * 10 + (c - '0');
    } else if (digits < 8) {
      frac = frac * 10 + (c - '0');
      ++digits;
    }
  }
  while (digits++ < 8) frac *= 10;
  return whole * 100000000LL + frac;
}

bool log_has(const FixExchange& venue, const std::string& needle) {
  for (const auto& line : venue.log_lines())
    if (line.find(needle) != std::string::npos) return true;
  return false;
}

std::vector<std::string> base_args(const ScratchDir& dir) {
  return {"--store-dir", dir / "store", "--log", dir / "exchange.jsonl", "--max-seconds", "60"};
}

std::vector<std::string> with(std::vector<std::string> args, const std::vector<std::string>& more) {
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

TEST(FixExchange, FullFillWithCommissionThenLogout) {
  ScratchDir dir;
  FixExchange venue(with(base_args(dir), {"--price", "65000.5", "--fill", "full", "--commission-bps", "7.5"}));
  FixClient c(venue.port());
  c.logon();
  const FixMsg logon = c.expect("A");
  EXPECT_EQ(logon.seq(), 1);
  EXPECT_EQ(logon.get(49), "EXECUTOR");
  EXPECT_EQ(logon.get(56), "CLIENT1");
  EXPECT_EQ(logon.get(108), "30");

  c.send("D", market_order("mkt-1", "0.15"));
  const FixMsg ack = c.expect("8");
  EXPECT_EQ(ack.get(150), "0");
  EXPECT_EQ(ack.get(39), "0");
  EXPECT_EQ(ack.get(11), "mkt-1");
  EXPECT_EQ(ack.get(151), "0.15");
  EXPECT_EQ(ack.get(14), "0");
  EXPECT_FALSE(ack.has(32));
  const FixMsg fill = c.expect("8");
  EXPECT_EQ(fill.get(150), "F");
  EXPECT_EQ(fill.get(39), "2");
  EXPECT_EQ(fill.get(32), "0.15");
  EXPECT_EQ(fill.get(31), "65000.5");
  EXPECT_EQ(fill.get(12), "7.31255625");  // 0.15 * 65000.5 * 7.5 / 10000
  EXPECT_EQ(fill.get(13), "3");
  EXPECT_EQ(fill.get(14), "0.15");
  EXPECT_EQ(fill.get(151), "0");
  EXPECT_EQ(fill.get(6), "65000.5");
  EXPECT_EQ(fill.get(37), ack.get(37));
  EXPECT_NE(fill.get(17), ack.get(17));
  EXPECT_EQ(fill.seq(), ack.seq() + 1);

  // A limit order fills at its own price.
  c.send("D", limit_order("lmt-1", "2", "64000.25"));
  EXPECT_EQ(c.expect("8").get(150), "0");
  const FixMsg lfill = c.expect("8");
  EXPECT_EQ(lfill.get(150), "F");
  EXPECT_EQ(lfill.get(32), "2");
  EXPECT_EQ(lfill.get(31), "64000.25");
  EXPECT_EQ(lfill.get(12), "96.000375");

  // Logout from the client: answered, then the exchange closes the connection.
  c.send("5");
  EXPECT_EQ(c.expect("5").seq(), 6);
  EXPECT_TRUE(c.closed_within(5s));

  EXPECT_TRUE(log_has(venue, R"("dir":"in","type":"D","seq":2,"possdup":false,"clordid":"mkt-1","side":"1","qty":"0.15","ordtype":"1","price":null)"));
  EXPECT_TRUE(log_has(venue, R"("exectype":"F","ordstatus":"2","clordid":"mkt-1")"));
  EXPECT_TRUE(log_has(venue, R"("lastqty":"0.15","lastpx":"65000.5","commission":"7.31255625")"));
  EXPECT_TRUE(log_has(venue, R"("event":"logon")"));
  EXPECT_TRUE(log_has(venue, R"("event":"logout")"));
  EXPECT_TRUE(log_has(venue, R"("event":"disconnect")"));
  const auto exit = venue.stop();
  EXPECT_EQ(exit.code, 0);
  EXPECT_EQ(exit.signal, -1);
}

TEST(FixExchange, PartialFillsSumToOrderQty) {
  ScratchDir dir;
  FixExchange venue(with(base_args(dir), {"--price", "100", "--fill", "partial:3"}));
  FixClient c(venue.port());
  c.logon();
  c.expect("A");
  c.send("D", market_order("p-1", "1"));
  EXPECT_EQ(c.expect("8").get(150), "0");
  long long sum = 0;
  std::set<std::string> exec_ids;
  std::vector<std::string> statuses;
  for (int i = 0; i < 3; ++i) {
    const FixMsg t = c.expect("8");
    EXPECT_EQ(t.get(150), "F") << t.text;
    EXPECT_EQ(t.get(31), "100");
    EXPECT_FALSE(t.has(12)) << "no Commission without --commission-bps";
    sum += e8(t.get(32));
    EXPECT_EQ(e8(t.get(14)), sum) << t.text;
    EXPECT_EQ(e8(t.get(151)), e8("1") - sum) << t.text;
    exec_ids.insert(t.get(17));
    statuses.push_back(t.get(39));
  }
  EXPECT_EQ(sum, e8("1"));
  EXPECT_EQ(exec_ids.size(), 3u);
  EXPECT_EQ(statuses, (std::vector<std::string>{"1", "1", "2"}));
  EXPECT_FALSE(c.read(300ms).has_value()) << "nothing after the last fill";
}

TEST(FixExchange, RejectsAndValidates) {
  ScratchDir dir;
  FixExchange venue(with(base_args(dir), {"--price", "100", "--fill", "reject"}));
  FixClient c(venue.port());
  c.logon();
  c.expect("A");
  c.send("D", market_order("r-1", "0.5"));
  const FixMsg rej = c.expect("8");
  EXPECT_EQ(rej.get(150), "8");
  EXPECT_EQ(rej.get(39), "8");
  EXPECT_EQ(rej.get(11), "r-1");
  EXPECT_FALSE(rej.get(58).empty());
  EXPECT_FALSE(c.read(300ms).has_value()) << "a reject is the only answer";

  // Status of an unknown order; cancel of an unknown order.
  c.send("H", {{11, "nobody"}, {54, "1"}, {55, "BTCUSDT"}});
  const FixMsg status = c.expect("8");
  EXPECT_EQ(status.get(150), "I");
  EXPECT_EQ(status.get(39), "8");
  EXPECT_EQ(status.get(58), "unknown order");
  c.send("F", {{11, "cx-1"}, {41, "nobody"}, {54, "1"}, {55, "BTCUSDT"}, {60, utc_now()}});
  const FixMsg cxl = c.expect("9");
  EXPECT_EQ(cxl.get(434), "1");
  EXPECT_EQ(cxl.get(41), "nobody");

  // The data dictionary is on: a NewOrderSingle without TransactTime (60) gets a session Reject.
  c.send("D", {{11, "r-2"}, {21, "1"}, {38, "1"}, {40, "1"}, {54, "1"}, {55, "BTCUSDT"}});
  const FixMsg sr = c.expect("3");
  EXPECT_EQ(sr.get(371), "60");
  EXPECT_EQ(sr.get(373), "1");  // required tag missing

  // A message with a wrong CheckSum is ignored; the same sequence number then works.
  std::string bad = FixClient::encode("H", c.next_seq(), {{11, "r-1"}, {54, "1"}, {55, "BTCUSDT"}});
  bad[bad.size() - 2] = bad[bad.size() - 2] == '9' ? '0' : static_cast<char>(bad[bad.size() - 2] + 1);
  c.write_raw(bad);
  EXPECT_FALSE(c.read(500ms).has_value()) << "a garbled message is not answered";
  c.send("H", {{11, "r-1"}, {54, "1"}, {55, "BTCUSDT"}});
  const FixMsg st2 = c.expect("8");
  EXPECT_EQ(st2.get(150), "I");
  EXPECT_EQ(st2.get(39), "8");
  EXPECT_TRUE(log_has(venue, R"("event":"invalid_message")"));
}

TEST(FixExchange, OpenOrderCancelAndStatus) {
  ScratchDir dir;
  FixExchange venue(with(base_args(dir), {"--fill", "none"}));
  FixClient c(venue.port());
  c.logon();
  c.expect("A");
  c.send("D", limit_order("n-1", "3", "10.5"));
  EXPECT_EQ(c.expect("8").get(150), "0");
  EXPECT_FALSE(c.read(300ms).has_value()) << "--fill none: the order stays open";
  c.send("H", {{11, "n-1"}, {54, "2"}, {55, "BTCUSDT"}, {790, "req-7"}});
  const FixMsg st = c.expect("8");
  EXPECT_EQ(st.get(150), "I");
  EXPECT_EQ(st.get(39), "0");
  EXPECT_EQ(st.get(151), "3");
  EXPECT_EQ(st.get(790), "req-7");
  c.send("F", {{11, "n-1-cx"}, {41, "n-1"}, {54, "2"}, {55, "BTCUSDT"}, {60, utc_now()}});
  const FixMsg cx = c.expect("8");
  EXPECT_EQ(cx.get(150), "4");
  EXPECT_EQ(cx.get(39), "4");
  EXPECT_EQ(cx.get(11), "n-1-cx");
  EXPECT_EQ(cx.get(41), "n-1");
  c.send("F", {{11, "n-1-cx2"}, {41, "n-1"}, {54, "2"}, {55, "BTCUSDT"}, {60, utc_now()}});
  const FixMsg late = c.expect("9");
  EXPECT_EQ(late.get(434), "1");
  EXPECT_EQ(late.get(102), "0");  // too late to cancel
}

TEST(FixExchange, TestRequestAndHeartbeats) {
  ScratchDir dir;
  FixExchange venue(base_args(dir));
  FixClient c(venue.port());
  c.logon(1);  // HeartBtInt 1 s: the exchange takes the client's interval
  EXPECT_EQ(c.expect("A").get(108), "1");
  c.send("1", {{112, "ping-42"}});
  const FixMsg hb = c.expect("0");
  EXPECT_EQ(hb.get(112), "ping-42");
  auto beat = c.read(3s, true);
  ASSERT_TRUE(beat.has_value());
  EXPECT_EQ(beat->type(), "0");
  EXPECT_FALSE(beat->has(112));
}

TEST(FixExchange, LogoutFromExchange) {
  ScratchDir dir;
  FixExchange venue(with(base_args(dir), {"--price", "1", "--fault", "logout", "--fault-after", "1"}));
  FixClient c(venue.port());
  c.logon();
  c.expect("A");
  c.send("D", market_order("lo-1", "1"));
  EXPECT_EQ(c.expect("8").get(150), "0");
  EXPECT_EQ(c.expect("8").get(150), "F");
  const FixMsg lo = c.expect("5");
  EXPECT_FALSE(lo.get(58).empty());
  c.send("5");
  EXPECT_TRUE(c.closed_within(5s));
  EXPECT_TRUE(log_has(venue, R"("event":"fault","name":"logout")"));

  // The session is enabled again: a new connection logs on.
  FixClient c2(venue.port());
  c2.set_next_seq(c.next_seq());
  c2.logon();
  EXPECT_EQ(c2.expect("A").seq(), lo.seq() + 1);
}

TEST(FixExchange, RestartWithStoreContinuesSequenceNumbers) {
  ScratchDir dir;
  FixExchange venue(with(base_args(dir), {"--price", "7"}));
  const int port = venue.port();
  int client_next = 0;
  int exchange_last = 0;
  std::string exec_id;
  {
    FixClient c(port);
    c.logon();
    c.expect("A");
    c.send("D", market_order("rs-1", "1"));
    c.expect("8");
    const FixMsg fill = c.expect("8");
    exec_id = fill.get(17);
    c.send("5");
    exchange_last = c.expect("5").seq();
    EXPECT_TRUE(c.closed_within(5s));
    client_next = c.next_seq();
  }
  venue.restart();  // SIGTERM, exit 0, the same arguments on the same port, store kept
  EXPECT_EQ(venue.port(), port);
  EXPECT_EQ(venue.starts(), 2);
  FixClient c(port);
  c.set_next_seq(client_next);
  c.logon();
  const FixMsg logon = c.expect("A");
  EXPECT_EQ(logon.seq(), exchange_last + 1) << "the exchange's MsgSeqNum continues after a restart";
  // The order book survives too, and ExecIDs stay unique.
  c.send("H", {{11, "rs-1"}, {54, "1"}, {55, "BTCUSDT"}});
  const FixMsg st = c.expect("8");
  EXPECT_EQ(st.get(150), "I");
  EXPECT_EQ(st.get(39), "2");
  EXPECT_EQ(st.get(14), "1");
  EXPECT_NE(st.get(17), exec_id);
}

TEST(FixExchange, ExitFaultThenRestart) {
  ScratchDir dir;
  const auto args = with(base_args(dir), {"--price", "7"});
  FixExchange venue(with(args, {"--fault", "exit", "--fault-after", "1"}));
  FixClient c(venue.port());
  c.logon();
  c.expect("A");
  c.send("D", market_order("ex-1", "1"));
  c.expect("8");
  const FixMsg fill = c.expect("8");
  EXPECT_TRUE(c.closed_within(5s)) << "the exchange exits after answering the order";
  ASSERT_TRUE(venue.wait_for_exit(5s));
  EXPECT_EQ(venue.exit_status().code, 0);
  venue.restart(args);  // no fault this time; same port
  FixClient c2(venue.port());
  c2.set_next_seq(c.next_seq());
  c2.logon();
  EXPECT_EQ(c2.expect("A").seq(), fill.seq() + 1);
}

TEST(FixExchange, DropClosesSocketBeforeAnswering) {
  ScratchDir dir;
  FixExchange venue(with(base_args(dir), {"--price", "7", "--fault", "drop", "--fault-after", "1"}));
  FixClient c(venue.port());
  c.logon();
  const FixMsg logon = c.expect("A");
  c.send("D", market_order("dr-1", "1"));
  EXPECT_TRUE(c.closed_within(5s)) << "drop: the socket closes, the order is not answered";
  EXPECT_TRUE(log_has(venue, R"("event":"fault","name":"drop","after":1)"));
  EXPECT_FALSE(log_has(venue, R"("clordid":"dr-1")")) << "the dropped order never reached the session";

  // Reconnect: the exchange never processed MsgSeqNum 2, so it asks for it; the client fills the gap
  // (an order is never sent twice) and asks for the order's status.
  FixClient c2(venue.port());
  c2.set_next_seq(c.next_seq());
  c2.logon();
  EXPECT_EQ(c2.expect("A").seq(), logon.seq() + 1);
  const FixMsg rr = c2.expect("2");
  EXPECT_EQ(rr.get(7), "2");
  EXPECT_EQ(rr.get(16), "0");
  c2.send("4", {{36, std::to_string(c2.next_seq())}, {123, "Y"}}, 2, {{43, "Y"}, {122, utc_now()}});
  c2.send("H", {{11, "dr-1"}, {54, "1"}, {55, "BTCUSDT"}});
  const FixMsg st = c2.expect("8");
  EXPECT_EQ(st.get(150), "I");
  EXPECT_EQ(st.get(39), "8");
  EXPECT_EQ(st.get(58), "unknown order");
}

TEST(FixExchange, MaxSecondsAndSigtermExitZero) {
  ScratchDir dir;
  FixExchange quick({"--store-dir", dir / "a", "--max-seconds", "1"});
  ASSERT_TRUE(quick.wait_for_exit(5s));
  EXPECT_EQ(quick.exit_status().code, 0);
  FixExchange venue({"--store-dir", dir / "b"});
  FixClient c(venue.port());
  c.logon();
  c.expect("A");
  const auto exit = venue.stop();  // SIGTERM: a Logout to the client, then exit 0
  EXPECT_EQ(exit.code, 0);
  EXPECT_EQ(c.expect("5").get(58), "fix_exchange stopping");
}

}  // namespace
