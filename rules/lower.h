// Lower: a checked AST -> the engine's ProgramSpec.
//
// Names become relation ids, variables become frame slots numbered in binding
// order, body literals are scheduled so that each runs once its inputs are
// bound (the checker's safety analysis is order-independent, the engine's
// evaluation is not), and every conjunction under `not`, `exists` or an
// aggregate becomes a pattern over an auxiliary relation defined by its own
// logical rule.
//
// REQUIRES: the program passed rules::Check without errors.
// Thread safety: reentrant.
#pragma once

#include <memory>

#include "engine/program.h"
#include "rules/ast.h"
#include "rules/source.h"
#include "syllo/status.h"

namespace syllo::rules {

Result<std::shared_ptr<engine::ProgramSpec>> Lower(const SourceSet& sources, const Program& program);

}  // namespace syllo::rules
