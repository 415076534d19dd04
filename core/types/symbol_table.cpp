#include "core/types/symbol_table.hpp"

#include <stdexcept>

namespace tp {

SymbolTable::SymbolTable(const std::vector<std::string>& names) {
  if (names.size() > kMaxSymbols)
    throw std::invalid_argument("too many symbols: " + std::to_string(names.size()) +
                                " (at most " + std::to_string(kMaxSymbols) + ")");
  std::size_t cap = 8;
  while (cap < names.size() * 2) cap *= 2;
  slots_.assign(cap, kNoSymbol);
  mask_ = cap - 1;
  names_.reserve(names.size());
  for (const std::string& n : names) {
    if (n.empty()) throw std::invalid_argument("empty symbol name");
    if (find(n) != kNoSymbol) throw std::invalid_argument("duplicate symbol: " + n);
    const auto id = static_cast<SymbolId>(names_.size());
    names_.push_back(n);
    uint64_t i = hash(n) & mask_;
    while (slots_[i] != kNoSymbol) i = (i + 1) & mask_;
    slots_[i] = id;
  }
}

uint64_t SymbolTable::hash(std::string_view s) noexcept {
  uint64_t h = 1469598103934665603ull;
  for (const char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ull;
  }
  return h;
}

SymbolId SymbolTable::find(std::string_view name) const noexcept {
  if (slots_.empty()) return kNoSymbol;
  // Load factor <= 1/2 guarantees an empty slot ends every probe sequence.
  for (uint64_t i = hash(name) & mask_;; i = (i + 1) & mask_) {
    const SymbolId id = slots_[i];
    if (id == kNoSymbol) return kNoSymbol;
    if (names_[id] == name) return id;
  }
}

}  // namespace tp
