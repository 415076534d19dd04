#include "feed/book/depth_levels.hpp"

namespace tp::feed {

namespace {

class Cursor {
 public:
  explicit Cursor(std::string_view t) noexcept : p_(t.data()), end_(t.data() + t.size()) {}
  void skip_space() noexcept {
    while (p_ < end_ && (*p_ == ' ' || *p_ == '\t' || *p_ == '\n' || *p_ == '\r')) ++p_;
  }
  bool eat(char c) noexcept {
    skip_space();
    if (p_ == end_ || *p_ != c) return false;
    ++p_;
    return true;
  }
  // A string without escapes (a backslash cannot be part of a number anyway): its bytes.
  bool string(std::string_view& out) noexcept {
    if (!eat('"')) return false;
    const char* s = p_;
    while (p_ < end_ && *p_ != '"') {
      if (*p_ == '\\') return false;
      ++p_;
    }
    if (p_ == end_) return false;
    out = std::string_view(s, static_cast<std::size_t>(p_ - s));
    ++p_;
    return true;
  }
  bool at_end() noexcept {
    skip_space();
    return p_ == end_;
  }

 private:
  const char* p_;
  const char* end_;
};

}  // namespace

DepthLevelsResult parse_depth_levels(std::string_view text, PriceLevel* out, std::size_t cap, std::size_t& n) noexcept {
  Cursor c(text);
  if (!c.eat('[')) return DepthLevelsResult::WrongShape;
  if (c.eat(']')) return c.at_end() ? DepthLevelsResult::Ok : DepthLevelsResult::WrongShape;
  do {
    std::string_view px, qty;
    if (!c.eat('[') || !c.string(px) || !c.eat(',') || !c.string(qty) || !c.eat(']')) {
      return DepthLevelsResult::WrongShape;
    }
    if (n == cap) return DepthLevelsResult::TooMany;
    PriceLevel& l = out[n];
    if (!parse_fixed(px, l.px) || !parse_fixed(qty, l.qty) || l.px == 0) return DepthLevelsResult::BadNumber;
    ++n;
  } while (c.eat(','));
  if (!c.eat(']') || !c.at_end()) return DepthLevelsResult::WrongShape;
  return DepthLevelsResult::Ok;
}

}  // namespace tp::feed
