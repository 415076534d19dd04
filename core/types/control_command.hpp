// An operator command (the kill switch): what enters the strategy thread through the ControlQueue,
// and what the journal's `command` record keeps so --resume can apply it again.
#pragma once

#include <cstdint>

#include "core/types/orders.hpp"

namespace tp {

// Where an operator command came from; the journal's `command` record names it.
enum class CommandSource : uint8_t { Operator = 0, Sigusr1 = 1, Sigusr2 = 2, Admin = 3, Cluster = 4 };
constexpr const char* command_source_name(CommandSource s) noexcept {
  switch (s) {
    case CommandSource::Operator: return "operator";
    case CommandSource::Sigusr1: return "SIGUSR1";
    case CommandSource::Sigusr2: return "SIGUSR2";
    case CommandSource::Admin: return "admin";  // POST /admin/... (ops/, SPEC 12)
    case CommandSource::Cluster: return "cluster";  // the firm-wide limit or kill switch, Redis down (SPEC 13)
  }
  return "unknown";
}

struct ControlCommand {
  TradingState state = TradingState::Halted;  // the state to enter
  bool flatten = false;                       // also close every open position
  CommandSource source = CommandSource::Operator;
};

}  // namespace tp
