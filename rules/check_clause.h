// The checks of one clause — a fact, a logical rule, a production rule or a
// query: relations and arities of its atoms, types of its terms and
// expressions, safety of its variables, and singleton variables.
//
// Thread safety: reentrant.
#pragma once

#include "rules/ast.h"
#include "rules/check_context.h"

namespace syllo::rules {

// REQUIRES: ctx.relations() is filled (CheckRelationDecls ran).
void CheckFact(CheckContext& ctx, const FactDecl& fact);
void CheckLogicalRule(CheckContext& ctx, const LogicalRule& rule);
void CheckProduction(CheckContext& ctx, const ProductionRule& rule);
void CheckQuery(CheckContext& ctx, const Query& query);

}  // namespace syllo::rules
