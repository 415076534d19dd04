// One field value as the venue normalizers' scans record it (internal to feed/; includes simdjson.h,
// so it stays out of the normalizers' public headers).
#pragma once

#include <simdjson.h>

#include "feed/json_document_checks.hpp"

#include <cstdint>
#include <cstring>
#include <string_view>

namespace tp::feed::json {

// BadInt: a JSON number that is no uint64 (negative, fractional, exponent, too big). Array: `str`/`len`
// hold the array's JSON text, '[' to ']' (read later by whoever wants its elements). Other: null or
// an object (a venue that expects neither need not tell them apart).
enum class ScalarKind : uint8_t { String, Number, BadInt, Bool, Array, Other };

// A value as found, not converted: a string is the raw bytes between the quotes, or its unescaped
// text where the caller asked for it (see read_scalar). Only the members its kind names are set.
struct Scalar {
  const char* str;
  uint64_t num;
  uint32_t len;
  ScalarKind kind;
  bool boolean;
  bool unescaped;  // str points into the parser's string buffer, not into the message
};

// Error codes that mean "this is not JSON" as opposed to "this JSON is not what we expected".
inline bool is_syntax_error(simdjson::error_code e) noexcept {
  return e != simdjson::SUCCESS && e != simdjson::INCORRECT_TYPE && e != simdjson::NUMBER_OUT_OF_RANGE;
}

inline bool is_digit(char c) noexcept { return static_cast<unsigned>(static_cast<unsigned char>(c)) - '0' <= 9; }

// RFC 8259 number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
inline bool is_json_number(std::string_view t) noexcept {
  std::size_t i = 0;
  const std::size_t n = t.size();
  if (i < n && t[i] == '-') ++i;
  if (i == n || !is_digit(t[i])) return false;
  if (t[i] == '0') {
    ++i;
  } else {
    while (i < n && is_digit(t[i])) ++i;
  }
  if (i < n && t[i] == '.') {
    if (++i == n || !is_digit(t[i])) return false;
    while (i < n && is_digit(t[i])) ++i;
  }
  if (i < n && (t[i] == 'e' || t[i] == 'E')) {
    ++i;
    if (i < n && (t[i] == '+' || t[i] == '-')) ++i;
    if (i == n || !is_digit(t[i])) return false;
    while (i < n && is_digit(t[i])) ++i;
  }
  return i == n;
}

// Records one value without converting it. A string is taken from the raw token (the structural
// index gives its end, so there is no scan for the closing quote): a decimal or time string goes to
// its parser as is (a backslash can never pass either grammar); a text value (`want_text`: an event
// type, a symbol) is unescaped only when it holds a backslash.
inline simdjson::error_code read_scalar(simdjson::ondemand::value& v, Scalar& s, bool want_text) noexcept {
  using simdjson::error_code;
  std::string_view tok = v.raw_json_token();  // the token plus any whitespace before the next one
  while (!tok.empty() && is_space(tok.back())) tok.remove_suffix(1);
  if (tok.empty()) return simdjson::TAPE_ERROR;
  if (tok.front() == '"') [[likely]] {
    // Stage 1 validated the string, so tok is `"..."` with tok.back() the closing quote.
    s.kind = ScalarKind::String;
    s.str = tok.data() + 1;
    s.len = static_cast<uint32_t>(tok.size() - 2);
    s.unescaped = false;
    if (want_text && std::memchr(s.str, '\\', s.len) != nullptr) {
      std::string_view sv;  // unescaped into the parser's preallocated string buffer
      if (error_code err = v.get_string().get(sv)) return err;
      s.str = sv.data();
      s.len = static_cast<uint32_t>(sv.size());
      s.unescaped = true;
    }
    return simdjson::SUCCESS;
  }
  switch (tok.front()) {
    case 't':
    case 'f': {
      bool b = false;
      if (error_code err = v.get_bool().get(b)) return err;
      s.kind = ScalarKind::Bool;
      s.boolean = b;
      return simdjson::SUCCESS;
    }
    case '-':
    case '0': case '1': case '2': case '3': case '4': case '5': case '6': case '7': case '8': case '9': {
      uint64_t x = 0;
      const error_code err = v.get_uint64().get(x);
      if (err == simdjson::SUCCESS) {
        s.kind = ScalarKind::Number;
        s.num = x;
        return simdjson::SUCCESS;
      }
      if (is_syntax_error(err)) return err;
      // Stage 1 does not check number syntax, and get_uint64 calls a token that stops at a '.', 'e'
      // or 'E', or has no digit ("14.7.5", "1.", "1e", "-"), the wrong type rather than a bad number:
      // without this check such garbage would pass as a number that is just not a uint64.
      if (!is_json_number(tok)) return simdjson::NUMBER_ERROR;
      s.kind = ScalarKind::BadInt;
      return simdjson::SUCCESS;
    }
    case 'n': {
      bool is_null = false;
      if (error_code err = v.is_null().get(is_null)) return err;
      if (!is_null) return simdjson::N_ATOM_ERROR;
      s.kind = ScalarKind::Other;
      return simdjson::SUCCESS;
    }
    case '[': {
      simdjson::ondemand::array arr;
      if (error_code err = v.get_array().get(arr)) return err;
      std::string_view text;
      if (error_code err = arr.raw_json().get(text)) return err;
      while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
      s.kind = ScalarKind::Array;
      s.str = text.data();
      s.len = static_cast<uint32_t>(text.size());
      return simdjson::SUCCESS;
    }
    case '{':
      s.kind = ScalarKind::Other;  // skipped unread by the object iterator
      return simdjson::SUCCESS;
    default:
      return simdjson::TAPE_ERROR;
  }
}

}  // namespace tp::feed::json
