#pragma once

namespace tp {
// "tickpipe <version>": printed by `tickpipe --version` and in reports.
const char* version_string() noexcept;
}  // namespace tp
