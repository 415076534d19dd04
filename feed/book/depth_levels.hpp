// Reads a venue's list of depth levels, `[["price","qty"],...]`, into PriceLevels (SPEC §1, §9.9:
// both numbers are decimal strings). The text is a JSON array the normalizer already validated;
// this checks its shape: every element a two-string array, nothing else. JSON whitespace is allowed
// anywhere between tokens. Hot path: no allocation, noexcept.
#pragma once

#include <cstddef>
#include <string_view>

#include "core/book/order_book.hpp"

namespace tp::feed {

enum class DepthLevelsResult : uint8_t {
  Ok,
  WrongShape,  // not an array of ["price","qty"] string pairs
  BadNumber,   // a price or quantity outside the SPEC §9.9 grammar, or a price of 0
  TooMany,     // more levels than `cap`
};

// Appends the levels of `text` to out[n..cap), advancing n.
DepthLevelsResult parse_depth_levels(std::string_view text, PriceLevel* out, std::size_t cap, std::size_t& n) noexcept;

}  // namespace tp::feed
