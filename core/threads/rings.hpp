// The four rings that join the stages (DESIGN.md): A feed->strategy, B strategy->gateway,
// C gateway->strategy, D strategy->journal writer. Capacities are fixed here so every stage
// agrees; each is a power of two.
#pragma once

#include "core/threads/event_count.hpp"
#include "core/types/events.hpp"
#include "core/journal/journal.hpp"
#include "core/types/orders.hpp"
#include "core/threads/spsc_ring.hpp"
#include "core/threads/wait_strategy.hpp"

namespace tp {

// Deterministic mode drains B, C and D after every market event, so each must hold everything
// one event can produce: at most two gateway messages and three journal records per symbol
// (a flatten-on-halt touches every symbol), far below these sizes for kMaxSymbols.
using EventRing = SpscRing<MarketEvent, 1 << 16>;   // 4 MiB: absorbs feed bursts
using GatewayRing = SpscRing<GatewayMsg, 1 << 14>;
using ExecRing = SpscRing<ExecReport, 1 << 14>;
using JournalRing = SpscRing<JournalRecord, 1 << 15>;

static_assert(GatewayRing::capacity() >= 2 * kMaxSymbols + 2);
static_assert(JournalRing::capacity() >= 3 * kMaxSymbols + 2);

// Pushes, waiting while the ring is full, then wakes the consumer if it may sleep on `wake`
// (WaitKind::Blocking; null for consumers that poll). Only for rings whose consumer runs on another
// thread (or has been drained to make room, as in deterministic mode).
template <typename Ring, typename T>
inline void push_wait(Ring& ring, const T& value, WaitKind wait, EventCount* wake = nullptr) noexcept {
  if (!ring.try_push(value)) {
    Waiter w(wait);
    while (!ring.try_push(value)) w.idle();
  }
  if (wake != nullptr) wake->notify();
}

}  // namespace tp
