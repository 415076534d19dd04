// The FIX 4.4 codec: what FixEncoder writes, FixFramer cuts from a byte stream in any split and
// FixMessage reads back; BodyLength and CheckSum are checked, garbled messages counted and
// skipped, garbage before a BeginString skipped.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "exec/fix/fix_encoder.hpp"
#include "exec/fix/fix_framer.hpp"
#include "exec/fix/fix_message.hpp"

namespace tp::fix {
namespace {

std::string soh(std::string s) {
  for (char& c : s)
    if (c == '|') c = '\x01';
  return s;
}

std::vector<std::string> frame(FixFramer& f, const std::string& bytes, std::size_t chunk) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < bytes.size(); i += chunk)
    f.feed(bytes.data() + i, std::min(chunk, bytes.size() - i), [&](std::string_view m) { out.emplace_back(m); });
  return out;
}

// 2026-12-05 06:01:02.345 UTC
constexpr int64_t kNow = 1796450462345000000;

TEST(FixEncoder, NewOrderSingleHasEveryFieldAndAValidLengthAndChecksum) {
  FixEncoder e("CLIENT1", "EXECUTOR");
  const std::string m(e.new_order_single(7, kNow, "tp-1-42", "BTCUSDT", Side::Sell, OrderType::Market, 15'000'000, 0));
  const std::string body = soh("35=D|49=CLIENT1|56=EXECUTOR|34=7|52=20261205-06:01:02.345|11=tp-1-42|55=BTCUSDT|54=2|"
                               "60=20261205-06:01:02.345|38=0.15|40=1|59=3|");
  const std::string head = soh("8=FIX.4.4|9=") + std::to_string(body.size()) + soh("|");
  unsigned sum = 0;
  for (const char c : head + body) sum += static_cast<unsigned char>(c);
  char cks[8];
  std::snprintf(cks, sizeof cks, "%03u", sum % 256);
  EXPECT_EQ(m, head + body + "10=" + cks + soh("|"));

  const std::string lim(e.new_order_single(8, kNow, "tp-1-43", "BTCUSDT", Side::Buy, OrderType::Limit, 100'000'000,
                                           6'183'763'000'000));
  EXPECT_NE(lim.find(soh("|54=1|")), std::string::npos);
  EXPECT_NE(lim.find(soh("|40=2|44=61837.63|")), std::string::npos) << lim;
  EXPECT_EQ(lim.find(soh("|59=")), std::string::npos) << "a limit order is a day order";
}

TEST(FixEncoder, EveryMessageRoundTripsThroughTheFramerAndParser) {
  FixEncoder e("CLIENT1", "EXECUTOR");
  std::string stream;
  stream += e.logon(1, kNow, 30, true, "user", "pw");
  stream += e.heartbeat(2, kNow, "TEST-1");
  stream += e.test_request(3, kNow, "T2");
  stream += e.resend_request(4, kNow, 10, 0);
  stream += e.gap_fill(5, kNow, 9);
  stream += e.order_cancel_request(6, kNow, "tp-1-44", "tp-1-43", "BTCUSDT", Side::Buy, 100'000'000);
  stream += e.order_status_request(7, kNow, "tp-1-43", "BTCUSDT", Side::Buy);
  stream += e.logout(8, kNow, "bye");
  for (const std::size_t chunk : {std::size_t{1}, std::size_t{3}, std::size_t{64}, stream.size()}) {
    FixFramer f;
    const auto msgs = frame(f, stream, chunk);
    ASSERT_EQ(msgs.size(), 8u) << chunk;
    EXPECT_EQ(f.stats().bad_checksum, 0u);
    EXPECT_EQ(f.stats().bad_length, 0u);
    EXPECT_EQ(f.buffered(), 0u);
    const char* types[] = {"A", "0", "1", "2", "4", "F", "H", "5"};
    for (std::size_t i = 0; i < msgs.size(); ++i) {
      FixMessage m;
      ASSERT_TRUE(m.parse(msgs[i])) << m.error() << " " << msgs[i];
      EXPECT_EQ(m.msg_type(), types[i]);
      EXPECT_EQ(m.seq(), i + 1);
      EXPECT_EQ(m.get(tag::SenderCompID), "CLIENT1");
    }
    FixMessage logon, gap;
    ASSERT_TRUE(logon.parse(msgs[0]));
    EXPECT_EQ(logon.get_uint(tag::HeartBtInt), 30u);
    EXPECT_EQ(logon.get_char(tag::ResetSeqNumFlag), 'Y');
    EXPECT_EQ(logon.get(tag::Username), "user");
    ASSERT_TRUE(gap.parse(msgs[4]));
    EXPECT_TRUE(gap.poss_dup());
    EXPECT_EQ(gap.get_char(tag::GapFillFlag), 'Y');
    EXPECT_EQ(gap.get_uint(tag::NewSeqNo), 9u);
    EXPECT_TRUE(gap.has(tag::OrigSendingTime));
  }
}

TEST(FixFramer, GarbledMessagesAreCountedAndSkippedAndTheStreamResynchronises) {
  FixEncoder e("EXECUTOR", "CLIENT1");
  const std::string a(e.heartbeat(1, kNow));
  const std::string b(e.heartbeat(2, kNow));
  const std::string c(e.heartbeat(3, kNow));
  std::string bad_checksum = b;
  bad_checksum[bad_checksum.size() - 2] = bad_checksum[bad_checksum.size() - 2] == '0' ? '1' : '0';
  std::string bad_length = b;
  const std::size_t nine = bad_length.find(soh("|9=")) + 3;
  bad_length[nine] = static_cast<char>(bad_length[nine] + 1);  // BodyLength off by ten or so
  FixFramer f;
  const auto msgs = frame(f, "garbage" + a + bad_checksum + c + bad_length + a, 5);
  ASSERT_EQ(msgs.size(), 3u);
  EXPECT_EQ(msgs[0], a);
  EXPECT_EQ(msgs[1], c);
  EXPECT_EQ(msgs[2], a);
  EXPECT_EQ(f.stats().bad_checksum, 1u);
  EXPECT_EQ(f.stats().bad_length, 1u);
  EXPECT_GE(f.stats().garbage_bytes, 7u);
}

TEST(FixFramer, AMessageLongerThanTheCapacityIsGarbledNotAHang) {
  FixFramer f(256);
  std::string big = soh("8=FIX.4.4|9=100000|35=0|");
  big.append(300, 'x');
  FixEncoder e("A", "B");
  const std::string ok(e.heartbeat(1, kNow));
  const auto msgs = frame(f, big + ok, 7);
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs[0], ok);
  EXPECT_EQ(f.stats().bad_length, 1u);
}

TEST(FixMessage, FieldsAreReadAndMalformedOnesRefused) {
  const std::string er = soh("8=FIX.4.4|9=5|35=8|34=12|43=Y|17=E1|150=F|39=2|32=0.15|31=61837.63|12=9.27564|"
                             "58=a=b|10=000|");
  FixMessage m;
  ASSERT_TRUE(m.parse(er)) << m.error();
  EXPECT_EQ(m.msg_type(), "8");
  EXPECT_EQ(m.seq(), 12u);
  EXPECT_TRUE(m.poss_dup());
  EXPECT_EQ(m.get_char(tag::ExecType), 'F');
  EXPECT_EQ(m.get_fixed(tag::LastQty), 15'000'000);
  EXPECT_EQ(m.get_fixed(tag::LastPx), 6'183'763'000'000);
  EXPECT_EQ(m.get_fixed(tag::Commission), 927'564'000);
  EXPECT_EQ(m.get(tag::Text), "a=b");
  EXPECT_FALSE(m.get(tag::OrderID).has_value());
  for (const char* bad : {"8=FIX.4.4|9=5|34=1|35=0|10=000|", "8=FIX.4.4|9=5|35=0|10=000|", "8=FIX.4.4|9=5|35=0|34=x|10=000|",
                          "8=FIX.4.4|9=5|35=0|34=1|=5|10=000|", "8=FIX.4.4|9=5|35=0|34=1|58=|10=000|",
                          "8=FIX.4.4|9=5|35=0|34=1|58=x"}) {
    const std::string text = soh(bad);  // the message views into it: it must outlive the reads
    FixMessage x;
    EXPECT_FALSE(x.parse(text)) << bad;
  }
  const std::string odd = soh("8=FIX.4.4|9=5|35=8|34=1|31=1e5|32=0.123456789|10=000|");
  FixMessage y;
  ASSERT_TRUE(y.parse(odd));
  EXPECT_FALSE(y.get_fixed(tag::LastPx).has_value()) << "no exponent";
  EXPECT_FALSE(y.get_fixed(tag::LastQty).has_value()) << "more than 8 fractional digits";
}

}  // namespace
}  // namespace tp::fix
