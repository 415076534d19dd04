#include "core/threads/process_signals.hpp"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>

namespace tp {
namespace {

std::atomic<int> g_stop{0};
std::atomic<uint32_t> g_kill_switch{0};
std::atomic<JournalFlushHook*> g_hook{nullptr};
static_assert(std::atomic<int>::is_always_lock_free && std::atomic<uint32_t>::is_always_lock_free &&
                  std::atomic<JournalFlushHook*>::is_always_lock_free,
              "signal handlers need lock-free atomics");
// Written by the journal writer's thread, read by a handler running on that same thread.
volatile sig_atomic_t g_in_journal_op = 0;
volatile sig_atomic_t g_exit_pending = 0;

constexpr int kSignals[] = {SIGINT, SIGTERM, SIGHUP, SIGUSR1, SIGUSR2};

bool is_stop(int sig) noexcept { return sig == SIGINT || sig == SIGTERM || sig == SIGHUP; }

void say(const char* s) noexcept {
  const ssize_t n = ::write(STDERR_FILENO, s, std::strlen(s));
  (void)n;
}

[[noreturn]] void exit_now(int sig) noexcept {
  if (JournalFlushHook* h = g_hook.load(std::memory_order_acquire); h != nullptr && h->flush_fn != nullptr) {
    h->flush_fn(h->ctx);
    say("tickpipe: second stop signal: journal flushed, exiting now\n");
  } else {
    say("tickpipe: second stop signal: exiting now\n");
  }
  ::_exit(128 + sig);
}

extern "C" void on_stop_signal(int sig) {
  const int saved_errno = errno;
  int none = 0;
  if (g_stop.compare_exchange_strong(none, sig, std::memory_order_acq_rel)) {
    say(sig == SIGINT   ? "tickpipe: SIGINT: stopping after the current event (again to exit at once)\n"
        : sig == SIGHUP ? "tickpipe: SIGHUP: stopping after the current event (again to exit at once)\n"
                        : "tickpipe: SIGTERM: stopping after the current event (again to exit at once)\n");
    errno = saved_errno;
    return;
  }
  if (g_in_journal_op != 0) {
    g_exit_pending = sig;  // the writer exits when it leaves the operation it is in
    errno = saved_errno;
    return;
  }
  exit_now(sig);
}

extern "C" void on_kill_switch_signal(int sig) {
  g_kill_switch.fetch_or(sig == SIGUSR1 ? kSignalReducing : kSignalHaltFlatten, std::memory_order_release);
}

}  // namespace

namespace process_signals {

std::string install() noexcept {
  struct sigaction sa;
  std::memset(&sa, 0, sizeof sa);
  sigemptyset(&sa.sa_mask);
  // The stop handler must not run inside itself on another signal of the pair.
  sigaddset(&sa.sa_mask, SIGINT);
  sigaddset(&sa.sa_mask, SIGTERM);
  sigaddset(&sa.sa_mask, SIGHUP);
  sa.sa_flags = SA_RESTART;
  for (const int sig : kSignals) {
    sa.sa_handler = is_stop(sig) ? on_stop_signal : on_kill_switch_signal;
    if (sigaction(sig, &sa, nullptr) != 0) return std::string("sigaction: ") + std::strerror(errno);
  }
  // A closed pipe or socket is an error to handle where it happens (EPIPE), never a silent death:
  // the report to a closed stdout fails the run with a message, a venue that went away reconnects.
  if (std::signal(SIGPIPE, SIG_IGN) == SIG_ERR) return std::string("signal(SIGPIPE): ") + std::strerror(errno);
  return {};
}

const std::atomic<int>& stop_flag() noexcept { return g_stop; }

void request_stop(int sig) noexcept {
  int none = 0;
  g_stop.compare_exchange_strong(none, sig, std::memory_order_acq_rel);
}

void clear_stop() noexcept { g_stop.store(0, std::memory_order_release); }

uint32_t take_kill_switch() noexcept {
  if (g_kill_switch.load(std::memory_order_relaxed) == 0) return 0;
  return g_kill_switch.exchange(0, std::memory_order_acquire);
}

bool kill_switch_pending() noexcept { return g_kill_switch.load(std::memory_order_relaxed) != 0; }

void raise_kill_switch(uint32_t bits) noexcept { g_kill_switch.fetch_or(bits, std::memory_order_release); }

void block_in_this_thread() noexcept {
  sigset_t set;
  sigemptyset(&set);
  for (const int sig : kSignals) sigaddset(&set, sig);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

std::string signal_name(int sig) {
  switch (sig) {
    case SIGINT: return "SIGINT";
    case SIGTERM: return "SIGTERM";
    case SIGHUP: return "SIGHUP";
    case SIGUSR1: return "SIGUSR1";
    case SIGUSR2: return "SIGUSR2";
    default: return "signal " + std::to_string(sig);
  }
}

}  // namespace process_signals

void JournalFlushHook::install(JournalFlushHook* hook) noexcept { g_hook.store(hook, std::memory_order_release); }

void JournalFlushHook::uninstall(JournalFlushHook* hook) noexcept {
  g_hook.compare_exchange_strong(hook, nullptr, std::memory_order_acq_rel);
}

void JournalFlushHook::enter() noexcept {
  g_in_journal_op = 1;
  std::atomic_signal_fence(std::memory_order_seq_cst);
}

void JournalFlushHook::leave() noexcept {
  std::atomic_signal_fence(std::memory_order_seq_cst);
  g_in_journal_op = 0;
  std::atomic_signal_fence(std::memory_order_seq_cst);
  if (g_exit_pending != 0) exit_now(g_exit_pending);
}

}  // namespace tp
