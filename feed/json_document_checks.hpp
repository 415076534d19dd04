// Small simdjson On-Demand checks both venue normalizers need (internal to feed/; includes
// simdjson.h, so it stays out of the normalizers' public headers).
#pragma once

#include <simdjson.h>

#include <string_view>

#include "feed/message.hpp"
#include "feed/normalizer_stats.hpp"

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

// The document check both normalizers make on their simdjson path: `msg` must be exactly one JSON
// object (nothing after it), which `scan(od::object&) -> error_code` reads field by field. True
// when it is; otherwise false and `why`: UnknownMessageType for valid JSON that is not an object,
// MalformedJson for everything else.
template <typename ScanFn>
bool read_top_object(simdjson::ondemand::parser& parser, const Message& msg, ScanFn&& scan, DropReason& why) noexcept {
  namespace od = simdjson::ondemand;
  why = DropReason::MalformedJson;
  od::document doc;
  if (parser.iterate(simdjson::padded_string_view(msg.data, msg.size, msg.size + kPayloadPadding)).get(doc))
    return false;
  od::json_type top_type;
  if (doc.type().get(top_type)) return false;
  if (top_type != od::json_type::object) {
    // Rare path: tell a valid non-object document (no venue message) from garbage like "nul".
    if (valid_non_object(doc, top_type)) why = DropReason::UnknownMessageType;
    return false;
  }
  od::object obj;
  if (doc.get_object().get(obj)) return false;
  if (scan(obj) != simdjson::SUCCESS) return false;
  // Anything after the top-level object (e.g. "{...}}") is malformed; at the clean end the document
  // has no current location.
  return doc.current_location().error() != simdjson::SUCCESS;
}

}  // namespace tp::feed::json
