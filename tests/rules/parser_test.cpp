// Parser, printer and loader: every construct's AST and positions, syntax error
// messages and recovery, robustness on hostile input, the printer's round-trip
// property, and imports.
#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "rules/loader.h"
#include "rules/parser.h"
#include "rules/printer.h"

namespace syllo::rules {
namespace {

namespace fs = std::filesystem;

// Parses without the loader: imports are statements here, not files to read.
LoadedProgram ParseText(std::string text) {
  LoadedProgram out;
  FileId id = out.sources.Add("test.syl", std::move(text));
  Parse(out.sources, id, out.program, out.diagnostics);
  return out;
}

// "line:col: message" per diagnostic, one per line.
std::string Messages(const LoadedProgram& p) {
  std::string out;
  for (const Diagnostic& d : p.diagnostics.items()) {
    out += std::to_string(d.pos.line) + ":" + std::to_string(d.pos.column) + ": " + d.message + "\n";
  }
  return out;
}

// Parses text that must be free of errors.
Program ParseOk(const std::string& text) {
  LoadedProgram p = ParseText(text);
  EXPECT_FALSE(p.diagnostics.has_errors()) << text << "\n" << Messages(p);
  return std::move(p.program);
}

std::size_t StatementCount(const Program& p) {
  return p.relations.size() + p.facts.size() + p.rules.size() + p.productions.size() + p.asks.size() +
         p.neurals.size() + p.models.size() + p.queries.size() + p.imports.size() + p.pragmas.size();
}

std::string Repeat(const std::string& s, std::size_t n) {
  std::string out;
  out.reserve(s.size() * n);
  for (std::size_t i = 0; i < n; ++i) out += s;
  return out;
}

void ExpectPos(const SourcePos& pos, std::uint32_t line, std::uint32_t column) {
  EXPECT_EQ(pos.line, line);
  EXPECT_EQ(pos.column, column);
}

// The body of the single rule in `text` (after "h :- ").
std::vector<Literal> Body(const std::string& body) {
  Program p = ParseOk("h :- " + body + ".");
  if (p.rules.size() != 1) {
    ADD_FAILURE() << "no rule in: " << body;
    return {};
  }
  return p.rules[0].body;
}

Expr Expression(const std::string& text) {
  std::vector<Literal> body = Body("X = " + text);
  if (body.size() != 1 || body[0].kind != LiteralKind::kComparison) {
    ADD_FAILURE() << "not a comparison: " << text;
    return {};
  }
  return body[0].rhs;
}

// Parse(Print(P)) has no errors and prints the same.
void ExpectRoundTrip(const std::string& text) {
  LoadedProgram first = ParseText(text);
  ASSERT_FALSE(first.diagnostics.has_errors()) << text << "\n" << Messages(first);
  std::string printed = Print(first.program);
  LoadedProgram second = ParseText(printed);
  ASSERT_FALSE(second.diagnostics.has_errors()) << printed << "\n" << Messages(second);
  EXPECT_EQ(Print(second.program), printed) << "from:\n" << text;
  EXPECT_EQ(StatementCount(second.program), StatementCount(first.program));
}

// ---- Relations and facts --------------------------------------------------------

TEST(ParserRelation, ColumnsTypesAndPositions) {
  Program p = ParseOk("relation garment(id: symbol, photo: tensor[28, 28], n: int,\n  w: float, ok: bool, s: string).");
  ASSERT_EQ(p.relations.size(), 1u);
  const RelationDecl& r = p.relations[0];
  EXPECT_EQ(r.name, "garment");
  ExpectPos(r.pos, 1, 1);
  ASSERT_EQ(r.columns.size(), 6u);
  EXPECT_EQ(r.columns[0].name, "id");
  EXPECT_EQ(r.columns[0].type.kind, engine::ValueKind::kSymbol);
  EXPECT_EQ(r.columns[1].type, engine::ColumnType::Tensor({28, 28}));
  ExpectPos(r.columns[1].pos, 1, 30);
  EXPECT_EQ(r.columns[2].type.kind, engine::ValueKind::kInt);
  EXPECT_EQ(r.columns[3].type.kind, engine::ValueKind::kFloat);
  ExpectPos(r.columns[3].pos, 2, 3);
  EXPECT_EQ(r.columns[4].type.kind, engine::ValueKind::kBool);
  EXPECT_EQ(r.columns[5].type.kind, engine::ValueKind::kString);
}

TEST(ParserRelation, ZeroColumnsAndContextualKeywordsAsNames) {
  Program p = ParseOk("relation halted().\nrelation top(number: int, threshold: float).");
  ASSERT_EQ(p.relations.size(), 2u);
  EXPECT_TRUE(p.relations[0].columns.empty());
  EXPECT_EQ(p.relations[1].name, "top");
  EXPECT_EQ(p.relations[1].columns[0].name, "number");
}

TEST(ParserFact, ConstantsOfEveryKind) {
  Program p = ParseOk("f(ann, 19, -3, 1.5, -0.25, 2e-3, true, false, \"a. b\", _X).\nf(bob) cf 0.9.\nhalted.");
  ASSERT_EQ(p.facts.size(), 3u);
  const Atom& a = p.facts[0].atom;
  EXPECT_EQ(a.relation, "f");
  ASSERT_EQ(a.args.size(), 10u);
  EXPECT_EQ(a.args[0].kind, ExprKind::kSymbol);
  EXPECT_EQ(a.args[0].name, "ann");
  ExpectPos(a.args[0].pos, 1, 3);
  EXPECT_EQ(a.args[1].int_value, 19);
  EXPECT_EQ(a.args[2].kind, ExprKind::kInt);
  EXPECT_EQ(a.args[2].int_value, -3);
  ExpectPos(a.args[2].pos, 1, 12);
  EXPECT_EQ(a.args[3].kind, ExprKind::kFloat);
  EXPECT_DOUBLE_EQ(a.args[3].float_value, 1.5);
  EXPECT_DOUBLE_EQ(a.args[4].float_value, -0.25);
  EXPECT_EQ(a.args[5].kind, ExprKind::kFloat);
  EXPECT_DOUBLE_EQ(a.args[5].float_value, 2e-3);
  EXPECT_EQ(a.args[6].kind, ExprKind::kBool);
  EXPECT_TRUE(a.args[6].bool_value);
  EXPECT_FALSE(a.args[7].bool_value);
  EXPECT_EQ(a.args[8].kind, ExprKind::kString);
  EXPECT_EQ(a.args[8].name, "a. b");
  EXPECT_EQ(a.args[9].kind, ExprKind::kVariable);
  EXPECT_FALSE(p.facts[0].certainty.has_value());
  ASSERT_TRUE(p.facts[1].certainty.has_value());
  EXPECT_DOUBLE_EQ(*p.facts[1].certainty, 0.9);
  EXPECT_EQ(p.facts[2].atom.relation, "halted");
  EXPECT_TRUE(p.facts[2].atom.args.empty());
  ExpectPos(p.facts[2].pos, 3, 1);
}

TEST(ParserFact, ExtremeIntegers) {
  Program p = ParseOk("f(9223372036854775807, -9223372036854775808).");
  ASSERT_EQ(p.facts.size(), 1u);
  EXPECT_EQ(p.facts[0].atom.args[0].int_value, std::numeric_limits<std::int64_t>::max());
  EXPECT_EQ(p.facts[0].atom.args[1].int_value, std::numeric_limits<std::int64_t>::min());
}

TEST(ParserString, EscapesAreDecodedAndHolesKept) {
  Program p = ParseOk(R"(f("q\"b\\n\n\t\r\x41\u{e9}\u{1F600} {Var}").)");
  ASSERT_EQ(p.facts.size(), 1u);
  EXPECT_EQ(p.facts[0].atom.args[0].name, "q\"b\\n\n\t\rA\xC3\xA9\xF0\x9F\x98\x80 {Var}");
}

TEST(ParserLexical, CommentsAndStatementEnds) {
  Program p = ParseOk(
      "% line\n// line\n/* block\n . */ a(1.5). % after\nb(2).// c\nc(3)./* d */\n");
  ASSERT_EQ(p.facts.size(), 3u);
  EXPECT_DOUBLE_EQ(p.facts[0].atom.args[0].float_value, 1.5);
  ExpectPos(p.facts[0].pos, 4, 7);
  EXPECT_EQ(p.facts[2].atom.relation, "c");
  LoadedProgram bad = ParseText("d(1.e).");
  EXPECT_TRUE(bad.diagnostics.has_errors());
}

// ---- Logical rules and body literals --------------------------------------------

TEST(ParserRule, HeadCertaintyAndBody) {
  Program p = ParseOk("risky(A) cf 0.8 :- applicant(A, Age, Inc), Age < 21, Inc < 15000.0.");
  ASSERT_EQ(p.rules.size(), 1u);
  const LogicalRule& r = p.rules[0];
  EXPECT_EQ(r.head.relation, "risky");
  ASSERT_TRUE(r.certainty.has_value());
  EXPECT_DOUBLE_EQ(*r.certainty, 0.8);
  ASSERT_EQ(r.body.size(), 3u);
  EXPECT_EQ(r.body[0].kind, LiteralKind::kAtom);
  ExpectPos(r.body[0].pos, 1, 20);
  EXPECT_EQ(r.body[1].kind, LiteralKind::kComparison);
  EXPECT_EQ(r.body[1].op, CompareOp::kLt);
  ExpectPos(r.body[1].pos, 1, 44);
  EXPECT_EQ(r.body[2].rhs.kind, ExprKind::kFloat);
}

TEST(ParserRule, HeadExpressions) {
  Program p = ParseOk("total(C, S + 1) :- t(C, S).");
  ASSERT_EQ(p.rules.size(), 1u);
  EXPECT_EQ(p.rules[0].head.args[1].kind, ExprKind::kBinary);
  EXPECT_EQ(p.rules[0].head.args[1].name, "+");
}

TEST(ParserLiteral, CertaintyAndFactVariables) {
  std::vector<Literal> b = Body("p(X) @ C as F, q @ D");
  ASSERT_EQ(b.size(), 2u);
  EXPECT_EQ(b[0].atom.certainty_var, "C");
  ExpectPos(b[0].atom.certainty_pos, 1, 13);
  EXPECT_EQ(b[0].atom.fact_var, "F");
  ExpectPos(b[0].atom.fact_var_pos, 1, 18);
  EXPECT_EQ(b[1].atom.relation, "q");
  EXPECT_TRUE(b[1].atom.args.empty());
  EXPECT_EQ(b[1].atom.certainty_var, "D");
}

TEST(ParserLiteral, NegationAndExists) {
  std::vector<Literal> b = Body("not p(X), not (q(X), r(X)), exists s(X, _), not exists t(X), exists (u(X))");
  ASSERT_EQ(b.size(), 5u);
  EXPECT_EQ(b[0].kind, LiteralKind::kNegation);
  ASSERT_EQ(b[0].body.size(), 1u);
  EXPECT_EQ(b[0].body[0].atom.relation, "p");
  ExpectPos(b[0].pos, 1, 6);
  EXPECT_EQ(b[1].kind, LiteralKind::kNegation);
  EXPECT_EQ(b[1].body.size(), 2u);
  EXPECT_EQ(b[2].kind, LiteralKind::kExists);
  EXPECT_EQ(b[2].body[0].atom.args[1].kind, ExprKind::kWildcard);
  EXPECT_EQ(b[3].kind, LiteralKind::kNegation);
  EXPECT_EQ(b[3].body[0].kind, LiteralKind::kExists);
  EXPECT_EQ(b[4].kind, LiteralKind::kExists);
  EXPECT_EQ(b[4].body.size(), 1u);
}

TEST(ParserLiteral, ComparisonsOfEveryOperator) {
  std::vector<Literal> b = Body("A = 1, B != 2, C < 3, D <= 4, E > 5, F >= 6, abs(X) < 3");
  ASSERT_EQ(b.size(), 7u);
  const CompareOp ops[] = {CompareOp::kEq, CompareOp::kNe, CompareOp::kLt, CompareOp::kLe,
                           CompareOp::kGt, CompareOp::kGe, CompareOp::kLt};
  for (std::size_t i = 0; i < 7; ++i) {
    EXPECT_EQ(b[i].kind, LiteralKind::kComparison) << i;
    EXPECT_EQ(b[i].op, ops[i]) << i;
  }
  EXPECT_EQ(b[6].lhs.kind, ExprKind::kCall);
  EXPECT_EQ(b[6].lhs.name, "abs");
}

TEST(ParserLiteral, Membership) {
  std::vector<Literal> b = Body("X in {a, b, 3}, Y not in {\"s\", -1}");
  ASSERT_EQ(b.size(), 2u);
  EXPECT_EQ(b[0].kind, LiteralKind::kMembership);
  EXPECT_FALSE(b[0].negated);
  ASSERT_EQ(b[0].set.size(), 3u);
  EXPECT_EQ(b[0].set[1].name, "b");
  EXPECT_TRUE(b[1].negated);
  EXPECT_EQ(b[1].set[1].int_value, -1);
}

TEST(ParserLiteral, Aggregates) {
  std::vector<Literal> b =
      Body("N = count(p(X), q(X)), S = sum(A * 2 : o(C, A)), M = min(A : o(_, A)), V = avg(A : o(_, A)), "
           "W = max(A, B), Z = min(A, 1)");
  ASSERT_EQ(b.size(), 6u);
  EXPECT_EQ(b[0].kind, LiteralKind::kAggregate);
  EXPECT_EQ(b[0].aggregate, AggregateOp::kCount);
  EXPECT_EQ(b[0].lhs.name, "N");
  EXPECT_EQ(b[0].body.size(), 2u);
  EXPECT_EQ(b[1].aggregate, AggregateOp::kSum);
  EXPECT_EQ(b[1].rhs.kind, ExprKind::kBinary);
  EXPECT_EQ(b[1].body.size(), 1u);
  EXPECT_EQ(b[2].aggregate, AggregateOp::kMin);
  EXPECT_EQ(b[3].aggregate, AggregateOp::kAvg);
  // min and max without `E :` are the built-in functions.
  EXPECT_EQ(b[4].kind, LiteralKind::kComparison);
  EXPECT_EQ(b[4].rhs.kind, ExprKind::kCall);
  EXPECT_EQ(b[4].rhs.name, "max");
  EXPECT_EQ(b[5].kind, LiteralKind::kComparison);
  EXPECT_EQ(b[5].rhs.args.size(), 2u);
}

TEST(ParserLiteral, BuiltinTestsAreNotAtoms) {
  std::vector<Literal> b = Body("contains(S, \"x\"), starts_with(S, T), ends_with(S, T), containsx(S)");
  ASSERT_EQ(b.size(), 4u);
  EXPECT_EQ(b[0].kind, LiteralKind::kBuiltin);
  EXPECT_EQ(b[0].atom.relation, "contains");
  EXPECT_EQ(b[1].kind, LiteralKind::kBuiltin);
  EXPECT_EQ(b[2].kind, LiteralKind::kBuiltin);
  EXPECT_EQ(b[3].kind, LiteralKind::kAtom);
}

// ---- Expressions ------------------------------------------------------------------

TEST(ParserExpr, PrecedenceAndAssociativity) {
  Expr e = Expression("A + B * C - D mod 2");
  // ((A + (B * C)) - (D mod 2))
  ASSERT_EQ(e.kind, ExprKind::kBinary);
  EXPECT_EQ(e.name, "-");
  ASSERT_EQ(e.args.size(), 2u);
  EXPECT_EQ(e.args[0].name, "+");
  EXPECT_EQ(e.args[0].args[1].name, "*");
  EXPECT_EQ(e.args[1].name, "mod");
  ExpectPos(e.pos, 1, 10);
  Expr f = Expression("(A - B) / -C");
  EXPECT_EQ(f.name, "/");
  EXPECT_EQ(f.args[0].name, "-");
  ExpectPos(f.args[0].pos, 1, 10);  // a parenthesised expression starts at its '('
  EXPECT_EQ(f.args[1].kind, ExprKind::kUnary);
  EXPECT_EQ(f.args[1].args[0].name, "C");
}

TEST(ParserExpr, MinusOnALiteralFoldsIntoTheConstant) {
  EXPECT_EQ(Expression("-3").int_value, -3);
  EXPECT_EQ(Expression("- 3").kind, ExprKind::kInt);
  EXPECT_EQ(Expression("- 3").int_value, -3);
  EXPECT_DOUBLE_EQ(Expression("-(2.5)").float_value, -2.5);
  EXPECT_EQ(Expression("- -3").int_value, 3);
  Expr sub = Expression("X -3");
  EXPECT_EQ(sub.kind, ExprKind::kBinary);
  EXPECT_EQ(sub.args[1].int_value, 3);
}

TEST(ParserExpr, CallsStringsAndSymbols) {
  Expr e = Expression("concat(upper(S), \"-\", to_string(N), sym, true, _)");
  ASSERT_EQ(e.kind, ExprKind::kCall);
  EXPECT_EQ(e.name, "concat");
  ASSERT_EQ(e.args.size(), 6u);
  EXPECT_EQ(e.args[0].kind, ExprKind::kCall);
  EXPECT_EQ(e.args[1].kind, ExprKind::kString);
  EXPECT_EQ(e.args[3].kind, ExprKind::kSymbol);
  EXPECT_EQ(e.args[4].kind, ExprKind::kBool);
  EXPECT_EQ(e.args[5].kind, ExprKind::kWildcard);
}

// ---- Production rules -------------------------------------------------------------

TEST(ParserProduction, ConditionsAndEveryAction) {
  Program p = ParseOk(
      "rule review salience -10\n"
      "  when garment(G, P), category(P, C) @ Cert, Cert < 0.7, not reviewed(G), counter(N) as F\n"
      "  then assert needs_review(G) cf 0.5; print(\"low {G}: {Cert}\", N); modify F (value = N + 1, n = 2);\n"
      "       retract F; retract old(G); print(); halt.");
  ASSERT_EQ(p.productions.size(), 1u);
  const ProductionRule& r = p.productions[0];
  EXPECT_EQ(r.name, "review");
  EXPECT_EQ(r.salience, -10);
  ExpectPos(r.salience_pos, 1, 22);
  ASSERT_EQ(r.conditions.size(), 5u);
  EXPECT_EQ(r.conditions[4].atom.fact_var, "F");
  ASSERT_EQ(r.actions.size(), 7u);
  EXPECT_EQ(r.actions[0].kind, ActionKind::kAssert);
  EXPECT_EQ(r.actions[0].atom.relation, "needs_review");
  ASSERT_TRUE(r.actions[0].certainty.has_value());
  EXPECT_DOUBLE_EQ(*r.actions[0].certainty, 0.5);
  ExpectPos(r.actions[0].pos, 3, 8);
  EXPECT_EQ(r.actions[1].kind, ActionKind::kPrint);
  ASSERT_EQ(r.actions[1].args.size(), 2u);
  EXPECT_EQ(r.actions[1].args[0].name, "low {G}: {Cert}");
  EXPECT_EQ(r.actions[2].kind, ActionKind::kModify);
  EXPECT_EQ(r.actions[2].fact_var, "F");
  ASSERT_EQ(r.actions[2].assignments.size(), 2u);
  EXPECT_EQ(r.actions[2].assignments[0].column, "value");
  EXPECT_EQ(r.actions[2].assignments[0].value.name, "+");
  EXPECT_EQ(r.actions[3].kind, ActionKind::kRetract);
  EXPECT_EQ(r.actions[3].fact_var, "F");
  EXPECT_EQ(r.actions[4].kind, ActionKind::kRetract);
  EXPECT_EQ(r.actions[4].atom.relation, "old");
  EXPECT_TRUE(r.actions[5].args.empty());
  EXPECT_EQ(r.actions[6].kind, ActionKind::kHalt);
  ExpectPos(r.actions[6].pos, 4, 44);
}

TEST(ParserProduction, DefaultSalience) {
  Program p = ParseOk("rule done when counter(10) as F then retract F; halt.");
  ASSERT_EQ(p.productions.size(), 1u);
  EXPECT_EQ(p.productions[0].salience, 0);
  EXPECT_EQ(p.productions[0].actions.size(), 2u);
}

// ---- Questions, models, queries, imports, pragmas -----------------------------------

TEST(ParserAsk, AllKinds) {
  Program p = ParseOk(
      "ask fragile(G) \"Is {G} fragile?\" yes_no.\n"
      "ask fuel(Car, L) \"Fuel of {Car}?\" one_of {empty, low, full}.\n"
      "ask mileage(Car, M) \"Mileage?\" number in 0..1000000.\n"
      "ask temp(T) \"T?\" number in -5.5..5.\n"
      "ask any(T) \"T?\" number.");
  ASSERT_EQ(p.asks.size(), 5u);
  EXPECT_EQ(p.asks[0].kind, AskKind::kYesNo);
  EXPECT_EQ(p.asks[0].question, "Is {G} fragile?");
  EXPECT_EQ(p.asks[1].kind, AskKind::kOneOf);
  ASSERT_EQ(p.asks[1].choices.size(), 3u);
  EXPECT_EQ(p.asks[1].choices[2].name, "full");
  EXPECT_EQ(p.asks[2].kind, AskKind::kNumber);
  EXPECT_DOUBLE_EQ(*p.asks[2].min, 0);
  EXPECT_DOUBLE_EQ(*p.asks[2].max, 1000000);
  EXPECT_DOUBLE_EQ(*p.asks[3].min, -5.5);
  EXPECT_FALSE(p.asks[4].min.has_value());
}

TEST(ParserNeural, FullDeclaration) {
  Program p = ParseOk(
      "neural category(photo: tensor[28,28]) -> label in {tshirt, trouser,\n bag} using fashion@3 top 2 threshold 0.1.\n"
      "neural plain(x: float) -> y in {a} using m.");
  ASSERT_EQ(p.neurals.size(), 2u);
  const NeuralDecl& n = p.neurals[0];
  EXPECT_EQ(n.name, "category");
  ASSERT_EQ(n.inputs.size(), 1u);
  EXPECT_EQ(n.inputs[0].type, engine::ColumnType::Tensor({28, 28}));
  EXPECT_EQ(n.output, "label");
  ExpectPos(n.output_pos, 1, 42);
  ASSERT_EQ(n.labels.size(), 3u);
  ExpectPos(n.labels[2].pos, 2, 2);
  EXPECT_EQ(n.model, "fashion");
  ExpectPos(n.model_pos, 2, 13);
  EXPECT_EQ(n.version, 3);
  EXPECT_EQ(n.top_k, 2);
  EXPECT_DOUBLE_EQ(*n.threshold, 0.1);
  EXPECT_FALSE(p.neurals[1].version.has_value());
  EXPECT_FALSE(p.neurals[1].top_k.has_value());
}

TEST(ParserModel, ParametersAndLists) {
  Program p = ParseOk(
      "model fashion : cnn {\n  input = [1, 28, 28], channels = [], dropout = 0.25,\n"
      "  activation = relu, name = \"x\", seed = -42\n}.\nmodel empty : mlp {}.");
  ASSERT_EQ(p.models.size(), 2u);
  const ModelDecl& m = p.models[0];
  EXPECT_EQ(m.name, "fashion");
  EXPECT_EQ(m.architecture, "cnn");
  ExpectPos(m.architecture_pos, 1, 17);
  ASSERT_EQ(m.params.size(), 6u);
  EXPECT_EQ(m.params[0].key, "input");
  ExpectPos(m.params[0].pos, 2, 3);
  EXPECT_EQ(m.params[0].value.kind, ExprKind::kList);
  EXPECT_EQ(m.params[0].value.args.size(), 3u);
  EXPECT_TRUE(m.params[1].value.args.empty());
  EXPECT_EQ(m.params[3].value.kind, ExprKind::kSymbol);
  EXPECT_EQ(m.params[4].value.kind, ExprKind::kString);
  EXPECT_EQ(m.params[5].value.int_value, -42);
  EXPECT_TRUE(p.models[1].params.empty());
}

TEST(ParserMisc, QueriesImportsPragmas) {
  Program p = ParseOk(
      "?- risky(Who).\n?- ancestor(ann, X), not parent(X, _).\n?- done.\nimport \"common/v.syl\".\n"
      "pragma semantics mycin.\npragma threshold 0.2.\npragma seed -7.");
  ASSERT_EQ(p.queries.size(), 3u);
  EXPECT_EQ(p.queries[1].goals.size(), 2u);
  ExpectPos(p.queries[2].pos, 3, 1);
  EXPECT_EQ(p.queries[2].goals[0].atom.relation, "done");
  ASSERT_EQ(p.imports.size(), 1u);
  EXPECT_EQ(p.imports[0].path, "common/v.syl");
  ASSERT_EQ(p.pragmas.size(), 3u);
  EXPECT_EQ(p.pragmas[0].name, "semantics");
  EXPECT_EQ(p.pragmas[0].value.kind, ExprKind::kSymbol);
  EXPECT_EQ(p.pragmas[1].name, "threshold");
  EXPECT_DOUBLE_EQ(p.pragmas[1].value.float_value, 0.2);
  EXPECT_EQ(p.pragmas[2].value.int_value, -7);
}

TEST(ParserPositions, ColumnsCountCodePoints) {
  Program p = ParseOk("f(\"é€\", x).\n  g(\"😀\",\ty).");
  ASSERT_EQ(p.facts.size(), 2u);
  ExpectPos(p.facts[0].atom.args[1].pos, 1, 9);
  ExpectPos(p.facts[1].pos, 2, 3);
  ExpectPos(p.facts[1].atom.args[1].pos, 2, 10);
}

// ---- Syntax errors ----------------------------------------------------------------

TEST(ParserErrors, MessagesSayWhatWasExpectedAndFound) {
  EXPECT_EQ(Messages(ParseText("p(a;")), "1:4: expected ')' but found ';'\n");
  EXPECT_EQ(Messages(ParseText("p(a)")), "1:5: expected ':-' or '.' but found end of input\n");
  EXPECT_EQ(Messages(ParseText("p(X) :- q(X)")),
            "1:13: expected '.' at the end of the statement but found end of input\n");
  EXPECT_EQ(Messages(ParseText("p(X) :- q(X) r(X).")),
            "1:14: expected '.' at the end of the statement but found 'r'\n");
  EXPECT_EQ(Messages(ParseText("X.")), "1:1: expected a statement but found 'X'\n");
  EXPECT_EQ(Messages(ParseText("relation p(x: colour).")), "1:15: expected a column type but found 'colour'\n");
  EXPECT_EQ(Messages(ParseText("p(not).")), "1:3: expected ')' but found 'not'\n");
  EXPECT_EQ(Messages(ParseText("p :- q, .")), "1:9: expected a literal but found '.'\n");
  EXPECT_EQ(Messages(ParseText("p :- X + .")), "1:10: expected an expression but found '.'\n");
  EXPECT_EQ(Messages(ParseText("p :- S = sum(X).")), "1:15: expected ':' but found ')'\n");
  EXPECT_EQ(Messages(ParseText("rule r when p then jump.")), "1:20: expected an action but found 'jump'\n");
  EXPECT_EQ(Messages(ParseText("?- X Y.")),
            "1:6: expected 'in', 'not' or a comparison operator but found 'Y'\n");
}

TEST(ParserErrors, RecoveryReportsEveryErrorAndKeepsGoodStatements) {
  LoadedProgram p = ParseText(
      "relation p(x: symbol).\n"
      "p(a.\n"                       // error 1
      "p(b).\n"
      "rule when p(X) then halt.\n"  // error 2
      "q(X) :- p(X), , r.\n"         // error 3
      "p(c). p(d e). p(f).\n"        // error 4 between good ones
      "p(\"ok. \\\" still\"). p(( .\n"  // error 5 after a string with a full stop
      "p(g).\n");
  EXPECT_EQ(p.diagnostics.error_count(), 5u) << Messages(p);
  std::vector<std::string> facts;
  for (const FactDecl& f : p.program.facts) {
    facts.push_back(f.atom.args.empty() ? "" : f.atom.args[0].name);
  }
  EXPECT_EQ(facts, (std::vector<std::string>{"b", "c", "f", "ok. \" still", "g"}));
  EXPECT_EQ(p.program.relations.size(), 1u);
}

TEST(ParserErrors, MissingFullStopPointsAtTheNextStatement) {
  LoadedProgram p = ParseText("p(a)\nq(b).\nr(c).");
  EXPECT_EQ(Messages(p), "2:1: expected ':-' or '.' but found 'q'\n");
  ASSERT_EQ(p.program.facts.size(), 1u);
  EXPECT_EQ(p.program.facts[0].atom.relation, "r");
}

TEST(ParserErrors, ManyBrokenStatementsStopAtALimit) {
  LoadedProgram p = ParseText(Repeat(") . ", 5000));
  ASSERT_EQ(p.diagnostics.error_count(), 1001u);
  EXPECT_EQ(p.diagnostics.items()[0].message, "expected a statement but found ')'");
  EXPECT_EQ(p.diagnostics.items()[1000].message, "too many errors; the rest of the file is not parsed");
}

TEST(ParserErrors, KeywordsAreNotSymbols) {
  EXPECT_TRUE(ParseText("p(rule).").diagnostics.has_errors());
  EXPECT_TRUE(ParseText("relation not(x: int).").diagnostics.has_errors());
  EXPECT_TRUE(ParseText("in.").diagnostics.has_errors());
  EXPECT_FALSE(ParseText("p(\"not\").").diagnostics.has_errors());
}

// ---- Robustness ---------------------------------------------------------------------

TEST(ParserRobustness, DeepNestingIsADiagnostic) {
  const std::size_t kDeep = 100000;
  const std::string cases[] = {
      "p(" + Repeat("(", kDeep) + "1.",
      "p :- X = " + Repeat("-", kDeep) + "X.",
      "p :- X in {" + Repeat("(", kDeep) + ".",
      "p :- " + Repeat("not ", kDeep) + "q.",
      "p :- " + Repeat("exists ", kDeep) + "q.",
      "p :- " + Repeat("not (", kDeep) + "q.",
      "p :- X = " + Repeat("f(", kDeep) + ".",
      "p :- X = " + Repeat("-(", kDeep) + ".",
      "p :- X = 1" + Repeat(" + 1", kDeep) + ".",
      "p :- X = 1" + Repeat(" * 1", kDeep) + ".",
      "p :- N = count(" + Repeat("M = count(", kDeep) + ".",
  };
  for (const std::string& text : cases) {
    LoadedProgram p = ParseText(text);
    ASSERT_EQ(p.diagnostics.error_count(), 1u) << text.substr(0, 40) << "\n" << Messages(p);
    EXPECT_EQ(p.diagnostics.items()[0].message, "nesting deeper than 256") << text.substr(0, 40);
  }
}

TEST(ParserRobustness, NestingAtTheLimitIsFine) {
  // 255 parentheses plus the call's own: 256 levels.
  Program p = ParseOk("p(" + Repeat("(", 255) + "1" + Repeat(")", 255) + ").");
  ASSERT_EQ(p.facts.size(), 1u);
  EXPECT_EQ(p.facts[0].atom.args[0].int_value, 1);
  EXPECT_TRUE(ParseText("p(" + Repeat("(", 256) + "1" + Repeat(")", 256) + ").").diagnostics.has_errors());
}

TEST(ParserRobustness, LiteralsOutOfRange) {
  EXPECT_EQ(Messages(ParseText("p(9223372036854775808).")), "1:3: integer literal out of range\n");
  EXPECT_EQ(Messages(ParseText("p(-9223372036854775809).")), "1:3: integer literal out of range\n");
  EXPECT_EQ(Messages(ParseText("p(" + Repeat("9", 5000) + ").")), "1:3: integer literal out of range\n");
  EXPECT_EQ(Messages(ParseText("p(1.0e999).")), "1:3: float literal out of range\n");
  EXPECT_EQ(Messages(ParseText("p :- X = 0." + Repeat("3", 400) + ".")), "");
  EXPECT_EQ(Messages(ParseText("p :- X = 1" + Repeat("0", 400) + ".5.")), "1:10: float literal out of range\n");
}

TEST(ParserRobustness, InvalidUtf8) {
  EXPECT_EQ(Messages(ParseText("p(\"ab\xFF\xFE\").")), "1:6: invalid UTF-8 in string\n");
  EXPECT_EQ(Messages(ParseText("p(\"\xC0\xAF\").")), "1:4: invalid UTF-8 in string\n");  // overlong
  EXPECT_EQ(Messages(ParseText("p(\xFF).")), "1:3: expected ')' but found invalid UTF-8 byte 0xFF\n");
  EXPECT_EQ(Messages(ParseText("\xE2\x82")), "1:1: expected a statement but found invalid UTF-8 byte 0xE2\n");
}

TEST(ParserRobustness, NulBytesAndControlCharacters) {
  std::string text = "p(a).\n";
  text += std::string("q(\0).\n", 6);
  text += "r(b).";
  LoadedProgram p = ParseText(text);
  EXPECT_EQ(Messages(p), "2:3: expected ')' but found control character 0x00\n");
  EXPECT_EQ(p.program.facts.size(), 2u);
  // Inside a string a NUL is just a character, escaped again by the printer.
  Program s = ParseOk(std::string("p(\"a\0b\").", 9));
  ASSERT_EQ(s.facts.size(), 1u);
  EXPECT_EQ(s.facts[0].atom.args[0].name, std::string("a\0b", 3));
  EXPECT_EQ(Print(s), "p(\"a\\x00b\").\n");
}

TEST(ParserRobustness, UnterminatedStringAndComment) {
  EXPECT_EQ(Messages(ParseText("p(a).\np(\"abc).\nq(b).")), "2:3: unterminated string\n");
  EXPECT_EQ(Messages(ParseText("p(a).\n/* never closed\nq(b).")), "2:1: unterminated block comment\n");
  EXPECT_EQ(Messages(ParseText("p(a /* open")), "1:5: unterminated block comment\n");
  EXPECT_EQ(Messages(ParseText("p(\"\\")), "1:3: unterminated string\n");
}

TEST(ParserRobustness, BadEscapes) {
  EXPECT_EQ(Messages(ParseText(R"(p("a\qb").)")), "1:5: unknown escape sequence in string\n");
  EXPECT_EQ(Messages(ParseText(R"(p("\x4").)")), "1:4: invalid \\x escape: expected two hex digits\n");
  EXPECT_EQ(Messages(ParseText(R"(p("\u{D800}").)")), "1:4: invalid code point in \\u escape\n");
  EXPECT_EQ(Messages(ParseText(R"(p("\u{}").)")),
            "1:4: invalid \\u escape: expected 1 to 6 hex digits and '}'\n");
}

// Random programs from language fragments and random bytes: whatever comes in,
// the parser returns, and what parses cleanly round-trips through the printer.
TEST(ParserRobustness, SeededRandomGarbage) {
  const std::vector<std::string> pieces = {
      "p",  "q(",   ")",  "(",   ",",    ".",      ". ",  ":-", "?-",   "X",     "_",     "1",     "-",    "2.5",
      "+",  "*",    "/",  "mod", "not ", "exists ", "in", "{",  "}",    "[",     "]",     "\"s\"", "\"",   "%",
      "\n", "/*",   "*/", "//",  "=",    "<",      ">=",  "!=", "@",    " as ",  "cf",    "0.5",   "rule ", "when ",
      "then ", "assert ", "retract ", "halt", ";", "relation ", "int", ":", "count(", "sum(", "min(", "ask ",
      "yes_no", "neural ", "->", "using ", "model ", "import ", "pragma ", "..", "tensor[", "\\", "\xFF", "\0",
      "9999999999999999999999", "1e999", "true", "false"};
  std::mt19937 rng(20240229);
  std::size_t clean = 0;
  for (int iteration = 0; iteration < 3000; ++iteration) {
    std::string text;
    int n = static_cast<int>(rng() % 60);
    for (int i = 0; i < n; ++i) {
      if (rng() % 10 == 0) {
        text += static_cast<char>(rng() % 256);
      } else {
        const std::string& piece = pieces[rng() % pieces.size()];
        text += piece.empty() ? std::string(1, '\0') : piece;
      }
    }
    LoadedProgram p = ParseText(text);
    for (const Diagnostic& d : p.diagnostics.items()) {
      EXPECT_TRUE(d.pos.known()) << text;
      EXPECT_FALSE(d.message.empty());
    }
    if (p.diagnostics.has_errors()) continue;
    ++clean;
    std::string printed = Print(p.program);
    LoadedProgram again = ParseText(printed);
    ASSERT_FALSE(again.diagnostics.has_errors()) << text << "\n--\n" << printed << Messages(again);
    ASSERT_EQ(Print(again.program), printed) << text;
  }
  // The generator must produce some valid programs, or the round-trip half tests nothing.
  EXPECT_GT(clean, 20u);
}

// ---- Printer ----------------------------------------------------------------------

TEST(Printer, CanonicalForms) {
  Program p = ParseOk(
      "import \"lib.syl\".\n"
      "relation r(id: symbol, photo: tensor[2, 3]).\n"
      "f(a, 2.0, -3, 1e20, \"t\\\"x\\n\") cf 1.\n"
      "g(X, Y) :- f(X), Y = (X + 1) * 2 - (3 - X), Z = - X, not (a, b), W = count(c(W2)).\n"
      "rule r salience 5 when f(X) as F then retract F; halt.\n"
      "ask a(X) \"q\" number in 0..10.5.\n"
      "?- not p, exists (q, r).\n");
  EXPECT_EQ(Print(p),
            "import \"lib.syl\".\n"
            "relation r(id: symbol, photo: tensor[2,3]).\n"
            "ask a(X) \"q\" number in 0..10.5.\n"
            "f(a, 2.0, -3, 1e+20, \"t\\\"x\\n\") cf 1.\n"
            "g(X, Y) :- f(X), Y = (X + 1) * 2 - (3 - X), Z = -X, not (a, b), W = count(c(W2)).\n"
            "rule r salience 5\n  when f(X) as F\n  then retract F; halt.\n"
            "?- not p, exists (q, r).\n");
}

TEST(Printer, ExpressionsAndLiterals) {
  Expr e = Expression("A - (B - C) * -(D + 1) / -2.5");
  EXPECT_EQ(Print(e), "A - (B - C) * -(D + 1) / -2.5");
  std::vector<Literal> b = Body("X not in {a, \"b\"}, S = min(A : q(A)), contains(S, \"x\") , p(X) @ C");
  ASSERT_EQ(b.size(), 4u);
  EXPECT_EQ(Print(b[0]), "X not in {a, \"b\"}");
  EXPECT_EQ(Print(b[1]), "S = min(A : q(A))");
  EXPECT_EQ(Print(b[2]), "contains(S, \"x\")");
  EXPECT_EQ(Print(b[3].atom), "p(X) @ C");
}

TEST(Printer, RoundTripCorpus) {
  const char* corpus[] = {
      "relation applicant(id: symbol, age: int, income: float).\napplicant(ann, 19, 12000.0).\n"
      "risky(A) cf 0.8 :- applicant(A, Age, Inc), Age < 21, Inc < 15000.0.\n?- risky(Who).",
      "spent(C, S) :- customer(C), S = sum(A : order(C, _, A)).",
      "p(X) :- q(X), X = -(-9223372036854775808), Y = 0.1 + 0.2, Z = 1.0e-7 * 3, W = 123456789012.5.",
      "rule review salience 10\n  when garment(G, P), category(P, C) @ Cert, Cert < 0.7, not reviewed(G)\n"
      "  then assert needs_review(G); print(\"low confidence on {G}: {Cert}\").",
      "model fashion : cnn {\n  input = [1, 28, 28], channels = [32, 64], kernel = 3, hidden = [128],\n"
      "  dropout = 0.25, activation = relu, optimizer = adam, lr = 0.001,\n"
      "  batch = 64, epochs = 5, weight_decay = 0.0, seed = 42\n}.",
      "neural category(photo: tensor[28,28]) -> label in {tshirt, trouser} using fashion@3 top 3 threshold 0.1.",
      "ask fuel_level(Car, L) \"How much fuel does {Car} have?\" one_of {empty, low, full, 3, \"x\", true}.",
      "pragma semantics fuzzy.\npragma threshold 0.25.\npragma strategy random.\npragma seed 9.",
      "p(\"\\u{1F600}\\x7F\\t\\\\\", -0.0, 5e-324, 1.7976931348623157e308).",
      "lonely(X) :- person(X), not (parent(X, C), person(C)), not exists parent(_, X), not not q(X).",
      "x :- A = B mod C mod D, E = F - (G + H), I = J / (K * L), M = -N * O, abs(-Q) < 3.",
  };
  for (const char* text : corpus) ExpectRoundTrip(text);
}

TEST(Printer, RoundTripGoldenInputs) {
  const char* root = std::getenv("SYLLO_SOURCE_DIR");
  fs::path dir = fs::path(root ? root : SYLLO_SOURCE_DIR_DEFAULT) / "tests" / "rules" / "golden";
  if (!fs::exists(dir)) GTEST_SKIP() << "no golden directory";
  std::size_t checked = 0;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (entry.path().extension() != ".syl") continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (ParseText(text).diagnostics.has_errors()) continue;  // the syntax error cases
    ExpectRoundTrip(text);
    ++checked;
  }
  EXPECT_GT(checked, 0u);
}

// ---- Loader -------------------------------------------------------------------------

class LoaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("syllo_loader_" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "sub");
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string Write(const std::string& name, const std::string& text) {
    fs::path path = dir_ / name;
    std::ofstream(path, std::ios::binary) << text;
    return path.string();
  }
  fs::path dir_;
};

TEST_F(LoaderTest, ImportsRelativeToTheImporterEachFileOnce) {
  std::string main = Write("main.syl", "import \"sub/a.syl\".\nimport \"sub/b.syl\".\nm(1).");
  Write("sub/a.syl", "import \"common.syl\".\na(1).");
  Write("sub/b.syl", "import \"common.syl\".\nimport \"../sub/common.syl\".\nb(1).");
  Write("sub/common.syl", "relation c(x: int).\nc(1).");
  LoadedProgram out;
  LoadFiles({main, main}, out);
  EXPECT_FALSE(out.diagnostics.has_errors()) << RenderAll(out.sources, out.diagnostics);
  EXPECT_EQ(out.sources.size(), 4u);
  EXPECT_EQ(out.program.relations.size(), 1u);
  EXPECT_EQ(out.program.facts.size(), 4u);
  EXPECT_EQ(out.program.imports.size(), 5u);
}

TEST_F(LoaderTest, CycleIsAnErrorAtTheImport) {
  std::string a = Write("a.syl", "import \"b.syl\".\na(1).");
  Write("b.syl", "b(1).\nimport \"a.syl\".");
  LoadedProgram out;
  LoadFiles({a}, out);
  ASSERT_EQ(out.diagnostics.error_count(), 1u);
  const Diagnostic& d = out.diagnostics.items()[0];
  EXPECT_EQ(out.sources.file(d.pos.file).path, (dir_ / "b.syl").string());
  ExpectPos(d.pos, 2, 1);
  EXPECT_EQ(d.message, "import cycle: " + a + " -> " + (dir_ / "b.syl").string() + " -> " + a);
  EXPECT_EQ(out.program.facts.size(), 2u);
}

TEST_F(LoaderTest, SelfImportIsACycle) {
  std::string a = Write("self.syl", "import \"self.syl\".");
  LoadedProgram out;
  LoadFiles({a}, out);
  ASSERT_EQ(out.diagnostics.error_count(), 1u);
  EXPECT_EQ(out.diagnostics.items()[0].message, "import cycle: " + a + " -> " + a);
}

TEST_F(LoaderTest, MissingFiles) {
  std::string a = Write("a.syl", "a(1).\n  import \"nowhere.syl\".");
  LoadedProgram out;
  LoadFiles({a, (dir_ / "absent.syl").string()}, out);
  ASSERT_EQ(out.diagnostics.error_count(), 2u);
  const Diagnostic& import_error = out.diagnostics.items()[0];
  ExpectPos(import_error.pos, 2, 3);
  EXPECT_EQ(import_error.message,
            "cannot read imported file '" + (dir_ / "nowhere.syl").string() + "': No such file or directory");
  const Diagnostic& top = out.diagnostics.items()[1];
  EXPECT_FALSE(top.pos.known());
  EXPECT_EQ(Render(out.sources, top),
            (dir_ / "absent.syl").string() + ": error: cannot read file: No such file or directory\n");
}

TEST_F(LoaderTest, DirectoriesAreNotRead) {
  std::string a = Write("a.syl", "import \"sub\".");
  LoadedProgram out;
  LoadFiles({a}, out);
  ASSERT_EQ(out.diagnostics.error_count(), 1u);
  EXPECT_NE(out.diagnostics.items()[0].message.find("is a directory"), std::string::npos);
}

TEST_F(LoaderTest, LoadTextResolvesImportsRelativeToItsName) {
  Write("sub/lib.syl", "lib(1).");
  LoadedProgram out;
  LoadText((dir_ / "sub" / "virtual.syl").string(), "import \"lib.syl\".\nv(1).", out);
  EXPECT_FALSE(out.diagnostics.has_errors()) << RenderAll(out.sources, out.diagnostics);
  EXPECT_EQ(out.program.facts.size(), 2u);
}

TEST(Loader, OversizedTextIsRefused) {
  LoadedProgram out;
  LoadText("big.syl", std::string((std::size_t{64} << 20) + 1, ' '), out);
  ASSERT_EQ(out.diagnostics.error_count(), 1u);
  EXPECT_EQ(out.diagnostics.items()[0].message, "file is larger than 64 MiB");
}

}  // namespace
}  // namespace syllo::rules
