#include "app/version.hpp"

namespace tp {
const char* version_string() noexcept { return "tickpipe 0.1.0"; }
}  // namespace tp
