#include "exec/fix/fix_encoder.hpp"

#include <time.h>

#include <cstring>

#include "exec/fix/fix_message.hpp"

namespace tp::fix {

FixEncoder::FixEncoder(std::string_view sender_comp_id, std::string_view target_comp_id) {
  comp_ids_.append("49=").append(sender_comp_id).push_back('\x01');
  comp_ids_.append("56=").append(target_comp_id).push_back('\x01');
}

void FixEncoder::put(std::string_view s) noexcept {
  if (end_ + s.size() > kCapacity - 8) {  // leave room for the trailer
    overflow_ = true;
    return;
  }
  std::memcpy(buf_ + end_, s.data(), s.size());
  end_ += s.size();
}

void FixEncoder::put_uint(uint64_t v) noexcept {
  char tmp[20];
  std::size_t n = 0;
  do {
    tmp[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  char out[20];
  for (std::size_t i = 0; i < n; ++i) out[i] = tmp[n - 1 - i];
  put(std::string_view(out, n));
}

void FixEncoder::add(int tag, std::string_view value) noexcept {
  put_uint(static_cast<uint64_t>(tag));
  put("=");
  put(value);
  put("\x01");
}

void FixEncoder::add_uint(int tag, uint64_t value) noexcept {
  put_uint(static_cast<uint64_t>(tag));
  put("=");
  put_uint(value);
  put("\x01");
}

void FixEncoder::add_char(int tag, char value) noexcept { add(tag, std::string_view(&value, 1)); }

void FixEncoder::add_fixed(int tag, Fixed value) noexcept {
  char text[kMaxFixedChars];
  std::size_t n = format_fixed(value, text);
  while (n > 0 && text[n - 1] == '0') --n;  // 8 fractional digits always: trim the zeros
  if (n > 0 && text[n - 1] == '.') --n;
  add(tag, std::string_view(text, n));
}

void FixEncoder::format_time(int64_t ns, char* out) noexcept {
  const int64_t second = ns / 1'000'000'000;
  if (second != cached_second_) {
    const time_t t = static_cast<time_t>(second);
    tm u{};
    gmtime_r(&t, &u);
    const int year = u.tm_year + 1900;
    const int parts[] = {year / 1000, year / 100 % 10, year / 10 % 10, year % 10};
    char* c = cached_time_;
    for (const int d : parts) *c++ = static_cast<char>('0' + d);
    auto two = [&c](int v) {
      *c++ = static_cast<char>('0' + v / 10);
      *c++ = static_cast<char>('0' + v % 10);
    };
    two(u.tm_mon + 1);
    two(u.tm_mday);
    *c++ = '-';
    two(u.tm_hour);
    *c++ = ':';
    two(u.tm_min);
    *c++ = ':';
    two(u.tm_sec);
    cached_second_ = second;
  }
  std::memcpy(out, cached_time_, 17);
  const int ms = static_cast<int>(ns / 1'000'000 % 1000);
  out[17] = '.';
  out[18] = static_cast<char>('0' + ms / 100);
  out[19] = static_cast<char>('0' + ms / 10 % 10);
  out[20] = static_cast<char>('0' + ms % 10);
}

void FixEncoder::add_time(int tag, int64_t ns) noexcept {
  char text[21];
  format_time(ns, text);
  add(tag, std::string_view(text, sizeof text));
}

void FixEncoder::begin(std::string_view msg_type, uint64_t seq, int64_t now_ns, bool poss_dup) noexcept {
  end_ = kHeaderRoom;
  overflow_ = false;
  add(tag::MsgType, msg_type);
  put(comp_ids_);
  add_uint(tag::MsgSeqNum, seq);
  if (poss_dup) {
    add_char(tag::PossDupFlag, 'Y');
    add_time(tag::OrigSendingTime, now_ns);
  }
  add_time(tag::SendingTime, now_ns);
}

std::string_view FixEncoder::finish() noexcept {
  if (overflow_) return {};
  // "8=FIX.4.4<SOH>9=<len><SOH>" right-aligned before the body.
  const std::size_t body_len = end_ - kHeaderRoom;
  char len_text[20];
  std::size_t len_n = 0;
  for (std::size_t v = body_len; v != 0 || len_n == 0; v /= 10) len_text[len_n++] = static_cast<char>('0' + v % 10);
  static constexpr std::string_view kBegin = "8=FIX.4.4\x01" "9=";
  const std::size_t header = kBegin.size() + len_n + 1;
  char* start = buf_ + kHeaderRoom - header;
  std::memcpy(start, kBegin.data(), kBegin.size());
  for (std::size_t i = 0; i < len_n; ++i) start[kBegin.size() + i] = len_text[len_n - 1 - i];
  start[header - 1] = '\x01';
  unsigned sum = 0;
  for (const char* p = start; p != buf_ + end_; ++p) sum += static_cast<unsigned char>(*p);
  sum &= 0xff;
  char* t = buf_ + end_;
  t[0] = '1';
  t[1] = '0';
  t[2] = '=';
  t[3] = static_cast<char>('0' + sum / 100);
  t[4] = static_cast<char>('0' + sum / 10 % 10);
  t[5] = static_cast<char>('0' + sum % 10);
  t[6] = '\x01';
  return std::string_view(start, static_cast<std::size_t>(t + 7 - start));
}

std::string_view FixEncoder::logon(uint64_t seq, int64_t now_ns, int heartbeat_s, bool reset_seq_num,
                                   std::string_view username, std::string_view password) noexcept {
  begin("A", seq, now_ns);
  add_uint(tag::EncryptMethod, 0);
  add_uint(tag::HeartBtInt, static_cast<uint64_t>(heartbeat_s));
  if (reset_seq_num) add_char(tag::ResetSeqNumFlag, 'Y');
  if (!username.empty()) add(tag::Username, username);
  if (!password.empty()) add(tag::Password, password);
  return finish();
}

std::string_view FixEncoder::heartbeat(uint64_t seq, int64_t now_ns, std::string_view test_req_id) noexcept {
  begin("0", seq, now_ns);
  if (!test_req_id.empty()) add(tag::TestReqID, test_req_id);
  return finish();
}

std::string_view FixEncoder::test_request(uint64_t seq, int64_t now_ns, std::string_view test_req_id) noexcept {
  begin("1", seq, now_ns);
  add(tag::TestReqID, test_req_id);
  return finish();
}

std::string_view FixEncoder::resend_request(uint64_t seq, int64_t now_ns, uint64_t begin_seq, uint64_t end_seq) noexcept {
  begin("2", seq, now_ns);
  add_uint(tag::BeginSeqNo, begin_seq);
  add_uint(tag::EndSeqNo, end_seq);
  return finish();
}

std::string_view FixEncoder::gap_fill(uint64_t seq, int64_t now_ns, uint64_t new_seq) noexcept {
  begin("4", seq, now_ns, /*poss_dup=*/true);
  add_char(tag::GapFillFlag, 'Y');
  add_uint(tag::NewSeqNo, new_seq);
  return finish();
}

std::string_view FixEncoder::logout(uint64_t seq, int64_t now_ns, std::string_view text) noexcept {
  begin("5", seq, now_ns);
  if (!text.empty()) add(tag::Text, text);
  return finish();
}

std::string_view FixEncoder::new_order_single(uint64_t seq, int64_t now_ns, std::string_view clordid,
                                              std::string_view symbol, Side side, OrderType type, Fixed qty,
                                              Fixed price) noexcept {
  begin("D", seq, now_ns);
  add(tag::ClOrdID, clordid);
  add(tag::Symbol, symbol);
  add_char(tag::Side, side == Side::Buy ? '1' : '2');
  add_time(tag::TransactTime, now_ns);
  add_fixed(tag::OrderQty, qty);
  if (type == OrderType::Market) {
    add_char(tag::OrdType, '1');
    add_char(tag::TimeInForce, '3');  // IOC (SPEC 11.2)
  } else {
    add_char(tag::OrdType, '2');
    add_fixed(tag::Price, price);
  }
  return finish();
}

std::string_view FixEncoder::order_cancel_request(uint64_t seq, int64_t now_ns, std::string_view clordid,
                                                  std::string_view orig_clordid, std::string_view symbol, Side side,
                                                  Fixed qty) noexcept {
  begin("F", seq, now_ns);
  add(tag::OrigClOrdID, orig_clordid);
  add(tag::ClOrdID, clordid);
  add(tag::Symbol, symbol);
  add_char(tag::Side, side == Side::Buy ? '1' : '2');
  add_time(tag::TransactTime, now_ns);
  add_fixed(tag::OrderQty, qty);
  return finish();
}

std::string_view FixEncoder::order_status_request(uint64_t seq, int64_t now_ns, std::string_view clordid,
                                                  std::string_view symbol, Side side) noexcept {
  begin("H", seq, now_ns);
  add(tag::ClOrdID, clordid);
  add(tag::Symbol, symbol);
  add_char(tag::Side, side == Side::Buy ? '1' : '2');
  return finish();
}

}  // namespace tp::fix
