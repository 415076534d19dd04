// Small simdjson On-Demand checks both venue normalizers need (internal to feed/; includes
// simdjson.h, so it stays out of the normalizers' public headers).
#pragma once

#include <simdjson.h>

#include <string_view>

namespace tp::feed::json {

inline bool is_space(char c) noexcept { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// A scalar top-level document is checked completely, an array only as far as its first token:
// tells a valid JSON value that is no venue message from garbage such as "nul".
inline bool valid_non_object(simdjson::ondemand::document& doc, simdjson::ondemand::json_type t) noexcept {
  namespace od = simdjson::ondemand;
  switch (t) {
    case od::json_type::null: {
      bool is_null = false;
      return doc.is_null().get(is_null) == simdjson::SUCCESS && is_null;
    }
    case od::json_type::boolean: {
      bool b = false;
      return doc.get_bool().get(b) == simdjson::SUCCESS;
    }
    case od::json_type::number: {
      double d = 0;
      return doc.get_double().get(d) == simdjson::SUCCESS;
    }
    case od::json_type::string: {
      std::string_view sv;
      return doc.get_string().get(sv) == simdjson::SUCCESS;
    }
    default:
      return true;
  }
}

}  // namespace tp::feed::json
