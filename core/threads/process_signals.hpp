// ProcessSignals: what a signal from outside does to a running engine (docs/durability.md).
//
//  - SIGINT, SIGTERM, SIGHUP (the terminal went away), the first time: a stop request. The engine stops reading at the next packet
//    boundary, drains its rings, writes a final checkpoint, flushes and fsyncs the journal, writes
//    its reports (which say it was interrupted) and exits 0.
//  - the same, a second time: exit at once (status 128 + signal). Every journal line
//    already formatted is handed to the kernel and fsynced first (see JournalFlushHook).
//  - SIGUSR1, SIGUSR2: the kill switch (REDUCING; HALTED and flatten). Kept as bits until the
//    engine's control queue takes them, so a signal during start-up is applied at the first
//    event instead of killing the process.
//
//  - SIGPIPE is ignored: a write to a closed pipe fails with EPIPE where it happens.
//
// install() runs first thing in main, before anything else can fail or take time. The handlers
// only touch lock-free atomics, and the one that exits calls only async-signal-safe functions.
//
// Which thread runs the handlers: every stage thread blocks these signals (block_in_this_thread,
// called by the engine before it starts a stage thread), so they are delivered to the thread that
// owns the journal writer (the calling thread of a run). The emergency flush therefore never races
// with the writer: it runs either between two writer operations, or (when it interrupts one) the
// writer finishes that operation and exits itself (JournalFlushHook::leave).
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

namespace tp {

// Kill-switch bits (SIGUSR1 -> kReducing, SIGUSR2 -> kHaltFlatten).
inline constexpr uint32_t kSignalReducing = 1u;
inline constexpr uint32_t kSignalHaltFlatten = 2u;

namespace process_signals {

// Installs the handlers for SIGINT, SIGTERM, SIGHUP, SIGUSR1 and SIGUSR2, and ignores SIGPIPE.
// Returns "" or why it failed.
std::string install() noexcept;

// The stop request: 0 until the first SIGINT/SIGTERM/SIGHUP (or request_stop), then the signal number.
// Read it with a relaxed load: it is polled once per packet.
const std::atomic<int>& stop_flag() noexcept;
inline int stop_signal() noexcept { return stop_flag().load(std::memory_order_relaxed); }
// As if the signal had arrived (tests, and the engine's own --duration later). Async-signal-safe.
void request_stop(int sig) noexcept;
// Forgets a stop request (tests that run several engines in one process).
void clear_stop() noexcept;

// Takes the pending kill-switch bits (kSignalReducing | kSignalHaltFlatten); 0 when none.
uint32_t take_kill_switch() noexcept;
bool kill_switch_pending() noexcept;
// As if SIGUSR1/SIGUSR2 had arrived. Async-signal-safe.
void raise_kill_switch(uint32_t bits) noexcept;

// Blocks those signals in the calling thread (stage threads; inherited by threads it starts).
void block_in_this_thread() noexcept;

// "SIGTERM", "SIGINT", ... ("signal N" for others).
std::string signal_name(int sig);

}  // namespace process_signals

// The journal writer's side of the second stop signal. The writer registers itself (one at a time)
// and brackets every change to its buffer or file with enter()/leave(); the handler flushes only
// outside such a bracket, and a signal inside one is honoured by leave(). flush_fn must be
// async-signal-safe (write(2), fsync(2)).
struct JournalFlushHook {
  void (*flush_fn)(void* ctx) noexcept = nullptr;
  void* ctx = nullptr;

  static void install(JournalFlushHook* hook) noexcept;
  static void uninstall(JournalFlushHook* hook) noexcept;  // only if it is the one installed
  static void enter() noexcept;
  static void leave() noexcept;
};

}  // namespace tp
