// The declaration checks: relations and neural relations (which build the
// relation table every later pass uses), models, pragmas, questions, and the
// uniqueness of production rule names.
//
// Thread safety: reentrant.
#pragma once

#include "rules/ast.h"
#include "rules/check_context.h"

namespace syllo::rules {

// Fills ctx.relations() from relation and neural declarations, reporting
// duplicates (the first by position wins), duplicate columns and bad tensor
// shapes.
void CheckRelationDecls(CheckContext& ctx, const Program& program);
// Labels, top K, threshold and version of neural declarations.
void CheckNeuralDecls(CheckContext& ctx, const Program& program);
void CheckModelDecls(CheckContext& ctx, const Program& program);
// Checks pragmas and applies the certainty semantics to ctx.
void CheckPragmas(CheckContext& ctx, const Program& program);
void CheckAskDecls(CheckContext& ctx, const Program& program);
void CheckProductionNames(CheckContext& ctx, const Program& program);

}  // namespace syllo::rules
