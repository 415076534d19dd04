// DailyRisk: the trading day and its P&L (SPEC §5, §9.2, §9.3, §9.15).
//
//   day P&L = realized P&L of today's fills - today's fees
//           + (unrealized P&L now - unrealized P&L at the day's start)
//
// summed over symbols, each symbol's unrealized P&L rounded half away from zero to 1e-8. The
// trading day is [reset, next reset) UTC by the engine clock. Running totals are kept
// incrementally (O(1) per event and per fill), so the loss check costs the same for 1 symbol as
// for 4,096. Single writer: the strategy thread; no allocation after construction.
#pragma once

#include <cstdint>
#include <vector>

#include "core/types/decimal.hpp"
#include "core/types/symbol_table.hpp"

namespace tp {

inline constexpr int64_t kNsPerDay = 86'400'000'000'000;

class DailyRisk {
 public:
  DailyRisk(std::size_t symbols, int day_reset_minutes) noexcept
      : reset_offset_ns_(static_cast<int64_t>(day_reset_minutes) * 60'000'000'000), sym_(symbols) {}

  // Index of the trading day that contains engine time `ts` (floor division).
  int64_t day_of(int64_t ts) const noexcept {
    const int64_t t = ts - reset_offset_ns_;
    return t >= 0 ? t / kNsPerDay : -((-t + kNsPerDay - 1) / kNsPerDay);
  }
  // Engine time at which day `day` starts.
  int64_t day_start_ns(int64_t day) const noexcept { return day * kNsPerDay + reset_offset_ns_; }

  bool started() const noexcept { return started_; }
  int64_t day() const noexcept { return day_; }

  // The first market event fixes the first day.
  void start(int64_t ts) noexcept {
    day_ = day_of(ts);
    next_day_start_ns_ = day_start_ns(day_ + 1);
    started_ = true;
  }

  // True when engine time `ts` lies in a later day than the current one: a comparison, so the
  // per-event check needs no division.
  bool past_day_end(int64_t ts) const noexcept { return ts >= next_day_start_ns_; }

  // A new day begins: today's realized and fees go to zero, and every symbol's baseline becomes its
  // unrealized P&L now (a symbol without a mark takes its baseline at its first mark of the day).
  void roll_to(int64_t day) noexcept {
    day_ = day;
    next_day_start_ns_ = day_start_ns(day_ + 1);
    realized_today_ = 0;
    fees_today_ = 0;
    baseline_total_ = 0;
    for (Sym& s : sym_) {
      s.baseline = s.unrealized;
      s.has_baseline = s.marked;
      if (s.has_baseline) baseline_total_ += s.baseline;
    }
  }

  // The symbol's unrealized P&L (already rounded) changed because its mark or position did.
  void set_unrealized(SymbolId id, Fixed unrealized, bool marked) noexcept {
    Sym& s = sym_[id];
    unrealized_total_ += unrealized - s.unrealized;
    s.unrealized = unrealized;
    s.marked = s.marked || marked;
    if (s.marked && !s.has_baseline) {  // first mark of the day (SPEC §9.3)
      s.baseline = unrealized;
      s.has_baseline = true;
      baseline_total_ += unrealized;
    }
  }

  void on_fill(Fixed realized, Fixed fee) noexcept {
    realized_today_ += realized;
    fees_today_ += fee;
  }

  Fixed day_pnl() const noexcept { return realized_today_ - fees_today_ + (unrealized_total_ - baseline_total_); }
  Fixed realized_today() const noexcept { return realized_today_; }
  Fixed fees_today() const noexcept { return fees_today_; }

 private:
  struct Sym {
    Fixed unrealized = 0;
    Fixed baseline = 0;
    bool marked = false;
    bool has_baseline = false;
  };

  int64_t reset_offset_ns_;
  std::vector<Sym> sym_;
  int64_t day_ = 0;
  int64_t next_day_start_ns_ = 0;
  bool started_ = false;
  Fixed realized_today_ = 0;
  Fixed fees_today_ = 0;
  Fixed unrealized_total_ = 0;
  Fixed baseline_total_ = 0;
};

}  // namespace tp
