// Compiles rule text into a Rete network for the engine tests, failing the
// test (with the diagnostics) if the text does not check.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "engine/rete_network.h"
#include "rules/checker.h"
#include "rules/loader.h"
#include "rules/lower.h"

namespace syllo::engine {

inline std::shared_ptr<const ReteNetwork> CompileText(const std::string& text) {
  rules::LoadedProgram loaded;
  rules::LoadText("test.syl", text, loaded);
  rules::Check(loaded.sources, loaded.program, loaded.diagnostics);
  EXPECT_FALSE(loaded.diagnostics.has_errors()) << rules::RenderAll(loaded.sources, loaded.diagnostics);
  auto spec = rules::Lower(loaded.sources, loaded.program);
  EXPECT_TRUE(spec.ok()) << spec.status().message();
  return ReteNetwork::Compile(std::move(spec).value());
}

}  // namespace syllo::engine
