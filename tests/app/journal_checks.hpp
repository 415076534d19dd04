// What every stop must leave in a journal (SPEC 7, docs/durability.md): whole JSON lines ending in
// a checkpoint. Shared by the end-to-end tests of the binary.
#pragma once

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <string>

#include "cli_runner.hpp"

namespace tp::testing {

inline void expect_complete_journal(const std::string& text) {
  ASSERT_FALSE(text.empty());
  EXPECT_EQ(text.back(), '\n');
  const auto lines = split_lines(text);
  for (const auto& l : lines) EXPECT_TRUE(nlohmann::json::accept(l)) << l;
  EXPECT_NE(lines.back().find("\"event\":\"checkpoint\""), std::string::npos) << lines.back();
}

}  // namespace tp::testing
