// The checker's pipeline. Declarations come first because every later pass
// looks relations up in the table they build; pragmas next because the
// certainty semantics decides which certainties are valid.
#include "rules/checker.h"

#include "rules/check_clause.h"
#include "rules/check_context.h"
#include "rules/check_declarations.h"
#include "rules/stratify.h"

namespace syllo::rules {

void Check(const SourceSet& sources, const Program& program, Diagnostics& diags) {
  CheckContext ctx(sources, diags);
  CheckRelationDecls(ctx, program);
  CheckPragmas(ctx, program);
  CheckNeuralDecls(ctx, program);
  CheckModelDecls(ctx, program);
  CheckAskDecls(ctx, program);
  CheckProductionNames(ctx, program);
  for (const FactDecl& f : program.facts) CheckFact(ctx, f);
  for (const LogicalRule& r : program.rules) CheckLogicalRule(ctx, r);
  for (const ProductionRule& r : program.productions) CheckProduction(ctx, r);
  for (const Query& q : program.queries) CheckQuery(ctx, q);
  CheckStratification(ctx, program);
}

}  // namespace syllo::rules
