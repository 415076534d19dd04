// SymbolCache: a small direct-mapped cache in front of SymbolTable::find (an FNV-1a hash byte by
// byte and a std::string compare) for the venue normalizers, which look a symbol up on every message.
// Names of up to 16 bytes are read from the padded message (so 16 bytes are always readable). The
// table is immutable, so entries never go stale; unknown names are cached too. No allocation.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "core/types/symbol_table.hpp"

namespace tp::feed {

class SymbolCache {
 public:
  explicit SymbolCache(const SymbolTable& table) noexcept : table_(table) {}

  // `padded`: p is followed by at least 16 readable bytes (the name was not unescaped elsewhere).
  SymbolId find(const char* p, std::size_t len, bool padded) noexcept {
    static_assert(std::endian::native == std::endian::little, "the byte masks below assume little-endian");
    if (len == 0 || len > 16 || !padded) return table_.find(std::string_view(p, len));
    uint64_t lo = 0, hi = 0;
    std::memcpy(&lo, p, 8);
    std::memcpy(&hi, p + 8, 8);
    if (len < 8) {
      lo &= (uint64_t{1} << (8 * len)) - 1;
      hi = 0;
    } else if (len == 8) {
      hi = 0;
    } else if (len < 16) {
      hi &= (uint64_t{1} << (8 * (len - 8))) - 1;
    }
    const uint64_t h = (lo ^ (hi * 0x9E3779B97F4A7C15ull) ^ len) * 0xD6E8FEB86659FD93ull;
    Entry& e = entries_[h >> (64 - kBits)];
    if (e.len == len && e.lo == lo && e.hi == hi) return e.id;
    const SymbolId id = table_.find(std::string_view(p, len));
    e = Entry{lo, hi, static_cast<uint32_t>(len), id};
    return id;
  }

 private:
  static constexpr int kBits = 4;
  struct Entry {
    uint64_t lo = 0, hi = 0;
    uint32_t len = 0;  // 0: empty (an empty name never goes through the cache)
    SymbolId id = kNoSymbol;
  };
  const SymbolTable& table_;
  Entry entries_[1 << kBits];
};

}  // namespace tp::feed
