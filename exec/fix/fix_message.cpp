#include "exec/fix/fix_message.hpp"

namespace tp::fix {

bool FixMessage::parse(std::string_view msg) noexcept {
  raw_ = msg;
  count_ = 0;
  msg_type_ = {};
  seq_ = 0;
  poss_dup_ = false;
  error_ = "";
  std::size_t i = 0;
  while (i < msg.size()) {
    int t = 0;
    std::size_t digits = 0;
    while (i < msg.size() && msg[i] >= '0' && msg[i] <= '9') {
      if (digits == 6) {
        error_ = "a tag longer than 6 digits";
        return false;
      }
      t = t * 10 + (msg[i] - '0');
      ++i;
      ++digits;
    }
    if (digits == 0 || i == msg.size() || msg[i] != '=' || t == 0) {
      error_ = "a field that is not <tag>=<value>";
      return false;
    }
    const std::size_t start = ++i;
    while (i < msg.size() && msg[i] != '\x01') ++i;
    if (i == msg.size()) {
      error_ = "a field without its SOH";
      return false;
    }
    if (i == start) {
      error_ = "a tag without a value";
      return false;
    }
    if (count_ == kMaxFields) {
      error_ = "too many fields";
      return false;
    }
    fields_[count_++] = Field{t, msg.substr(start, i - start)};
    ++i;
  }
  // BeginString, BodyLength, MsgType: the first three fields, in that order (FIX session rules).
  if (count_ < 4 || fields_[0].tag != tag::BeginString || fields_[1].tag != tag::BodyLength ||
      fields_[2].tag != tag::MsgType) {
    error_ = "BeginString, BodyLength and MsgType are not the first three fields";
    return false;
  }
  msg_type_ = fields_[2].value;
  const std::optional<uint64_t> seq = get_uint(tag::MsgSeqNum);
  if (!seq || *seq == 0) {
    error_ = "MsgSeqNum missing or not a positive integer";
    return false;
  }
  seq_ = *seq;
  poss_dup_ = get_char(tag::PossDupFlag) == 'Y';
  return true;
}

std::optional<std::string_view> FixMessage::get(int t) const noexcept {
  for (std::size_t i = 0; i < count_; ++i)
    if (fields_[i].tag == t) return fields_[i].value;
  return std::nullopt;
}

std::optional<uint64_t> FixMessage::get_uint(int t) const noexcept {
  const auto v = get(t);
  if (!v || v->empty() || v->size() > 18) return std::nullopt;
  uint64_t n = 0;
  for (const char c : *v) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + static_cast<uint64_t>(c - '0');
  }
  return n;
}

std::optional<Fixed> FixMessage::get_fixed(int t) const noexcept {
  const auto v = get(t);
  if (!v) return std::nullopt;
  Fixed out = 0;
  if (!parse_fixed_signed(*v, out)) return std::nullopt;
  return out;
}

char FixMessage::get_char(int t) const noexcept {
  const auto v = get(t);
  return v && v->size() == 1 ? (*v)[0] : '\0';
}

}  // namespace tp::fix
