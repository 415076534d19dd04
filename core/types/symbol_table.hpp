// Symbol universe: configured order -> dense ids 0..size()-1 (SPEC §2).
//
// Built once at start-up; lookups by string_view never allocate (open addressing over a
// power-of-two slot array, FNV-1a hash, linear probing). Lookups are read-only and therefore safe
// from any thread once construction has finished.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tp {

// 16 bits: kMaxSymbols fits, and the two bytes saved let an event and an order carry latency
// stamps within one cache line.
using SymbolId = uint16_t;
inline constexpr SymbolId kNoSymbol = UINT16_MAX;
inline constexpr std::size_t kMaxSymbols = 4096;
static_assert(kMaxSymbols < kNoSymbol);

class SymbolTable {
 public:
  SymbolTable() = default;
  // Throws std::invalid_argument on a duplicate or empty name, or more than kMaxSymbols.
  explicit SymbolTable(const std::vector<std::string>& names);

  // kNoSymbol when the name is not configured. Exact, case-sensitive match.
  SymbolId find(std::string_view name) const noexcept;
  const std::string& name(SymbolId id) const noexcept { return names_[id]; }
  std::size_t size() const noexcept { return names_.size(); }

 private:
  static uint64_t hash(std::string_view s) noexcept;
  std::vector<std::string> names_;
  std::vector<SymbolId> slots_;  // kNoSymbol = empty; size is a power of two >= 2 * names
  uint64_t mask_ = 0;
};

}  // namespace tp
