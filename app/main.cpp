#include <iostream>

#include "app/cli.hpp"
#include "core/threads/process_signals.hpp"
#include "ops/http/http_endpoint.hpp"

int main(int argc, char** argv) {
  // First, before anything can take time: a SIGTERM or SIGUSR2 during start-up must be honoured by
  // the engine (stop; kill switch), never kill it with the default action.
  if (const std::string err = tp::process_signals::install(); !err.empty())
    std::cerr << "tickpipe: warning: signal handlers not installed (" << err << "): SIGINT/SIGTERM kill the "
              << "process without flushing the journal, and the kill switch signals are unavailable\n";
  // The HTTP endpoint is linked here, into the program, not into the engine's libraries.
  return tp::run_cli(argc, argv, &tp::ops::make_http_endpoint);
}
