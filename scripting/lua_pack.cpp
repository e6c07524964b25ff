#include "scripting/lua_pack.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <ostream>
#include <sstream>

#include "rules/loader.h"
#include "rules/parser.h"
#include "scripting/lua_guard.h"
#include "scripting/lua_values.h"

namespace syllo::scripting {

namespace fs = std::filesystem;
using engine::Value;
using engine::ValueKind;

constexpr std::size_t kMaxPackBytes = std::size_t{64} << 20;
constexpr std::size_t kMaxRowsPerCall = 1'000'000;
constexpr const char* kSessionMeta = "syllo.session";
// A production's Lua action stands in the rule text as this print until the
// parsed rule gets the real action.
constexpr std::string_view kActionMark = "\x01lua-action:";

bool IsLuaPack(const std::string& path) { return path.size() > 4 && path.compare(path.size() - 4, 4, ".lua") == 0; }

// ---- loading state -------------------------------------------------------------

struct PackHost::Loading {
  rules::LoadedProgram* out = nullptr;
  std::string path;  // as the user gave it
  std::unordered_map<std::string, rules::FileId> chunks;  // "@path" -> file, for call positions
};

PackHost::Loading& PackHost::current() {
  if (loading_.empty()) throw LuaCallError("the syllo module declares things only while a pack loads");
  return *loading_.back();
}

namespace {

PackHost& HostOf(lua_State* L) { return *static_cast<PackHost*>(lua_touserdata(L, lua_upvalueindex(1))); }

std::string Trim(std::string_view s) {
  std::size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

bool StartsWithWord(std::string_view text, std::string_view word) {
  return text.size() > word.size() && text.substr(0, word.size()) == word &&
         std::isspace(static_cast<unsigned char>(text[word.size()]));
}

// Where the Lua code that called a `syllo` function stands.
rules::SourcePos CallSite(lua_State* L, PackHost::Loading& ctx) {
  lua_Debug ar;
  for (int level = 1; lua_getstack(L, level, &ar); ++level) {
    lua_getinfo(L, "Sl", &ar);
    if (ar.currentline <= 0) continue;  // a C function: look further up
    auto it = ctx.chunks.find(ar.source);
    if (it == ctx.chunks.end()) continue;
    const rules::SourceFile& f = ctx.out->sources.file(it->second);
    auto line = static_cast<std::uint32_t>(ar.currentline);
    std::uint32_t column = 1;
    if (line <= f.line_starts.size()) {
      std::string_view text = ctx.out->sources.Line(it->second, line);
      while (column <= text.size() && std::isspace(static_cast<unsigned char>(text[column - 1]))) ++column;
    }
    return rules::SourcePos{it->second, line, column};
  }
  return rules::SourcePos{};
}

// The text of one statement, built from the pack's strings and glue. Each
// string is looked up in the pack's text after the call's line, so the parser's
// positions inside it map back to the .lua file.
class StatementText {
 public:
  StatementText(PackHost::Loading& ctx, rules::SourcePos call) : ctx_(ctx), call_(call) {
    if (call.known()) {
      const rules::SourceFile& f = ctx.out->sources.file(call.file);
      cursor_ = call.line <= f.line_starts.size() ? f.line_starts[call.line - 1] : f.text.size();
    }
  }

  void Glue(std::string_view text) { text_ += text; }

  void Piece(std::string_view piece) {
    if (call_.known() && !piece.empty()) {
      if (std::size_t at = FindLiteral(piece); at != std::string::npos) {
        segments_.push_back({text_.size(), text_.size() + piece.size(), call_.file, at});
        cursor_ = at + piece.size();
      }
    }
    text_ += piece;
  }

  // Parses the statement into a program of its own.
  rules::Program Parse(const std::string& what) {
    rules::SourceSet& sources = ctx_.out->sources;
    std::string name = ctx_.path + " (" + what + ")";
    rules::FileId id = sources.AddMapped(name, text_, std::move(segments_), call_);
    rules::Program program;
    rules::Parse(sources, id, program, ctx_.out->diagnostics);
    return program;
  }

 private:
  // Where `piece` stands in the pack as a whole string literal ('...', "..."
  // or [[...]]) not far after the cursor; npos when it does not (a string
  // made by Lua code, or one with escapes): then the call's line it is.
  std::size_t FindLiteral(std::string_view piece) const {
    constexpr std::size_t kReach = std::size_t{64} << 10;
    const std::string& text = ctx_.out->sources.file(call_.file).text;
    for (std::size_t at = text.find(piece, cursor_); at != std::string::npos && at - cursor_ < kReach;
         at = text.find(piece, at + 1)) {
      char before = at > 0 ? text[at - 1] : '\0';
      char after = at + piece.size() < text.size() ? text[at + piece.size()] : '\0';
      bool quoted = (before == '"' || before == '\'') && after == before;
      // A long bracket: [[ or [==[ before, ] after; Lua drops a first newline.
      bool bracketed = (before == '[' || (before == '\n' && at >= 2 && text[at - 2] == '[')) && after == ']';
      if (quoted || bracketed) return at;
    }
    return std::string::npos;
  }

  PackHost::Loading& ctx_;
  rules::SourcePos call_;
  std::string text_;
  std::vector<rules::SourceSegment> segments_;
  std::size_t cursor_ = 0;
};

std::string_view CheckText(lua_State* L, int index) {
  std::size_t len = 0;
  const char* s = luaL_checklstring(L, index, &len);
  return {s, len};
}

// A number as the rule language writes it.
std::string NumberText(lua_State* L, int index) {
  if (lua_isinteger(L, index)) return std::to_string(lua_tointeger(L, index));
  double d = lua_tonumber(L, index);
  if (!std::isfinite(d)) throw LuaCallError("a rule cannot contain the number " + std::to_string(d));
  return engine::FormatFloat(d);
}

// One term of a table-form atom: a string is rule-language text (a variable,
// a symbol, "\"text\"", an expression), a number or boolean is a constant.
void AppendTerm(lua_State* L, int index, StatementText& st) {
  switch (lua_type(L, index)) {
    case LUA_TSTRING: st.Piece(CheckText(L, index)); return;
    case LUA_TNUMBER: st.Glue(NumberText(L, index)); return;
    case LUA_TBOOLEAN: st.Glue(lua_toboolean(L, index) ? "true" : "false"); return;
    default:
      throw LuaCallError(std::string("a term must be a string, a number or a boolean, got ") +
                         luaL_typename(L, index));
  }
}

// A body item: a string (literals in rule-language text) or a table
// {relation, term, ...}.
void AppendLiteral(lua_State* L, int index, StatementText& st) {
  index = lua_absindex(L, index);
  if (lua_type(L, index) == LUA_TSTRING) {
    st.Piece(CheckText(L, index));
    return;
  }
  if (lua_type(L, index) != LUA_TTABLE) {
    throw LuaCallError(std::string("a condition must be a string or a table {relation, term, ...}, got ") +
                       luaL_typename(L, index));
  }
  lua_Integer n = luaL_len(L, index);
  if (n < 1 || lua_rawgeti(L, index, 1) != LUA_TSTRING) {
    throw LuaCallError("a table condition starts with the relation's name: {\"parent\", \"X\", \"Y\"}");
  }
  st.Piece(CheckText(L, -1));
  lua_pop(L, 1);
  if (n == 1) return;
  st.Glue("(");
  for (lua_Integer i = 2; i <= n; ++i) {
    if (i > 2) st.Glue(", ");
    lua_rawgeti(L, index, i);
    AppendTerm(L, -1, st);
    lua_pop(L, 1);
  }
  st.Glue(")");
}

// A conjunction: a string, or a list of literals.
void AppendBody(lua_State* L, int index, StatementText& st, const char* field) {
  index = lua_absindex(L, index);
  if (lua_type(L, index) == LUA_TSTRING) {
    st.Piece(CheckText(L, index));
    return;
  }
  if (lua_type(L, index) != LUA_TTABLE) {
    throw LuaCallError(std::string("'") + field + "' must be a string or a list of conditions");
  }
  lua_Integer n = luaL_len(L, index);
  if (n == 0) throw LuaCallError(std::string("'") + field + "' has no conditions");
  for (lua_Integer i = 1; i <= n; ++i) {
    if (i > 1) st.Glue(", ");
    lua_rawgeti(L, index, i);
    AppendLiteral(L, -1, st);
    lua_pop(L, 1);
  }
}

std::size_t StatementCount(const rules::Program& p) {
  return p.relations.size() + p.facts.size() + p.rules.size() + p.productions.size() + p.asks.size() +
         p.neurals.size() + p.models.size() + p.queries.size() + p.imports.size() + p.pragmas.size();
}

// A statement text the user gave whole or without its keyword and full stop.
std::string Statement(std::string_view keyword, std::string_view text, std::string* prefix, std::string* suffix) {
  std::string t = Trim(text);
  *prefix = keyword.empty() || StartsWithWord(t, keyword) ? "" : std::string(keyword) + " ";
  *suffix = !t.empty() && t.back() == '.' ? "" : ".";
  return t;
}

}  // namespace

// ---- the `syllo` module ---------------------------------------------------------

struct PackApi {
  // Parses a statement of one kind (`keyword` is prepended when the text lacks it).
  static rules::Program ParseOne(lua_State* L, int index, std::string_view keyword, const std::string& what) {
    PackHost::Loading& ctx = HostOf(L).current();
    StatementText st(ctx, CallSite(L, ctx));
    std::string prefix, suffix;
    std::string text = Statement(keyword, CheckText(L, index), &prefix, &suffix);
    st.Glue(prefix);
    st.Piece(text);
    st.Glue(suffix);
    return st.Parse(what);
  }

  static void Accept(lua_State* L, rules::Program program, std::size_t of_kind, const char* expected) {
    PackHost::Loading& ctx = HostOf(L).current();
    std::size_t total = StatementCount(program);
    // A parse error was reported already; the statement simply is not added.
    if (total != 0 && of_kind != total) {
      ctx.out->diagnostics.Error(CallSite(L, ctx), std::string("expected ") + expected + " here");
      return;
    }
    ctx.out->program.Append(std::move(program));
  }

  // syllo.relation("name(col: type, ...)")
  static int Relation(lua_State* L) {
    rules::Program p = ParseOne(L, 1, "relation", "relation");
    std::size_t n = p.relations.size();
    Accept(L, std::move(p), n, "a relation declaration");
    return 0;
  }

  // syllo.fact("rel(a, 1) cf 0.9") or syllo.fact("rel", a, 1 [, {cf = 0.9}])
  static int Fact(lua_State* L) {
    int n = lua_gettop(L);
    std::string_view first = CheckText(L, 1);
    if (n == 1 && first.find('(') != std::string_view::npos) {
      rules::Program p = ParseOne(L, 1, "", "fact");
      std::size_t n = p.facts.size();
    Accept(L, std::move(p), n, "a fact");
      return 0;
    }
    std::optional<double> cf;
    if (n >= 2 && lua_type(L, n) == LUA_TTABLE) {
      lua_getfield(L, n, "cf");
      if (!lua_isnil(L, -1)) cf = luaL_checknumber(L, -1);
      lua_pop(L, 1);
      --n;
    }
    AddFact(L, std::string(first), 2, n, cf);
    return 0;
  }

  // syllo.facts("rel", { {a, 1}, {b, 2} })
  static int Facts(lua_State* L) {
    std::string relation(CheckText(L, 1));
    luaL_checktype(L, 2, LUA_TTABLE);
    lua_Integer rows = luaL_len(L, 2);
    for (lua_Integer r = 1; r <= rows; ++r) {
      lua_settop(L, 2);
      if (lua_rawgeti(L, 2, r) != LUA_TTABLE) throw LuaCallError("row " + std::to_string(r) + " is not a table");
      int row = lua_gettop(L);
      lua_Integer width = luaL_len(L, row);
      for (lua_Integer i = 1; i <= width; ++i) lua_rawgeti(L, row, i);
      AddFact(L, relation, row + 1, row + static_cast<int>(width), std::nullopt);
    }
    return 0;
  }

  // A fact from Lua values: a string is a symbol in a symbol column, a string
  // in a string column (by the declaration, when the relation is declared).
  static void AddFact(lua_State* L, const std::string& relation, int first, int last, std::optional<double> cf) {
    PackHost::Loading& ctx = HostOf(L).current();
    rules::SourcePos pos = CallSite(L, ctx);
    const rules::RelationDecl* decl = nullptr;
    for (const rules::RelationDecl& r : ctx.out->program.relations) {
      if (r.name == relation) decl = &r;
    }
    rules::FactDecl fact;
    fact.pos = pos;
    fact.atom.pos = pos;
    fact.atom.relation = relation;
    fact.certainty = cf;
    for (int i = first; i <= last; ++i) {
      rules::Expr e;
      e.pos = pos;
      std::size_t column = static_cast<std::size_t>(i - first);
      switch (lua_type(L, i)) {
        case LUA_TNUMBER:
          if (lua_isinteger(L, i)) {
            e.kind = rules::ExprKind::kInt;
            e.int_value = lua_tointeger(L, i);
          } else {
            e.kind = rules::ExprKind::kFloat;
            e.float_value = lua_tonumber(L, i);
          }
          break;
        case LUA_TBOOLEAN:
          e.kind = rules::ExprKind::kBool;
          e.bool_value = lua_toboolean(L, i) != 0;
          break;
        case LUA_TSTRING: {
          e.name = std::string(CheckText(L, i));
          bool symbol = decl != nullptr && column < decl->columns.size()
                            ? decl->columns[column].type.kind == ValueKind::kSymbol
                            : !e.name.empty() && std::islower(static_cast<unsigned char>(e.name[0]));
          e.kind = symbol ? rules::ExprKind::kSymbol : rules::ExprKind::kString;
          break;
        }
        default:
          throw LuaCallError("value " + std::to_string(column + 1) + " of a '" + relation +
                             "' fact must be a number, a boolean or a string, got " + luaL_typename(L, i));
      }
      fact.atom.args.push_back(std::move(e));
    }
    ctx.out->program.facts.push_back(std::move(fact));
  }

  // syllo.rule("head :- body.") or syllo.rule{head = "...", cf = 0.8, body = {...}}
  static int Rule(lua_State* L) {
    if (lua_type(L, 1) == LUA_TSTRING) {
      rules::Program p = ParseOne(L, 1, "", "rule");
      std::size_t n = p.rules.size();
    Accept(L, std::move(p), n, "a logical rule (head :- body)");
      return 0;
    }
    luaL_checktype(L, 1, LUA_TTABLE);
    PackHost::Loading& ctx = HostOf(L).current();
    StatementText st(ctx, CallSite(L, ctx));
    lua_getfield(L, 1, "head");
    AppendLiteral(L, -1, st);
    lua_getfield(L, 1, "cf");
    if (!lua_isnil(L, -1)) st.Glue(" cf " + NumberText(L, -1));
    st.Glue(" :- ");
    lua_getfield(L, 1, "body");
    AppendBody(L, -1, st, "body");
    st.Glue(".");
    rules::Program p = st.Parse("rule");
    std::size_t n = p.rules.size();
    Accept(L, std::move(p), n, "a logical rule");
    return 0;
  }

  // syllo.production("rule name when ... then ... .") or
  // syllo.production{name = "n", salience = 10, when = {...}, ["then"] = function(s, v) ... end}
  static int Production(lua_State* L) {
    if (lua_type(L, 1) == LUA_TSTRING) {
      rules::Program p = ParseOne(L, 1, "rule", "production rule");
      std::size_t count = p.productions.size();
      Accept(L, std::move(p), count, "a production rule");
      return 0;
    }
    luaL_checktype(L, 1, LUA_TTABLE);
    PackHost& host = HostOf(L);
    PackHost::Loading& ctx = host.current();
    StatementText st(ctx, CallSite(L, ctx));
    lua_getfield(L, 1, "name");
    if (lua_type(L, -1) != LUA_TSTRING) throw LuaCallError("a production rule needs a name = \"...\"");
    std::string name(CheckText(L, -1));
    st.Glue("rule ");
    st.Piece(name);
    lua_getfield(L, 1, "salience");
    if (!lua_isnil(L, -1)) st.Glue(" salience " + NumberText(L, -1));
    st.Glue(" when ");
    lua_getfield(L, 1, "when");
    AppendBody(L, -1, st, "when");
    st.Glue(" then ");
    lua_getfield(L, 1, "then");
    int actions = lua_gettop(L);
    std::vector<int> functions;  // stack indices of Lua actions, in order
    auto append_action = [&](int index, bool first) {
      if (!first) st.Glue("; ");
      if (lua_type(L, index) == LUA_TFUNCTION) {
        st.Glue("print(\"\\x01lua-action:" + std::to_string(functions.size()) + "\")");
        functions.push_back(lua_absindex(L, index));
      } else if (lua_type(L, index) == LUA_TSTRING) {
        std::string text = Trim(CheckText(L, index));
        if (!text.empty() && text.back() == '.') text.pop_back();
        st.Piece(text);
      } else {
        throw LuaCallError(std::string("an action must be a string or a function, got ") + luaL_typename(L, index));
      }
    };
    if (lua_type(L, actions) == LUA_TTABLE) {
      lua_Integer n = luaL_len(L, actions);
      if (n == 0) throw LuaCallError("'then' has no actions");
      for (lua_Integer i = 1; i <= n; ++i) {
        lua_rawgeti(L, actions, i);
        append_action(lua_gettop(L), i == 1);
      }
    } else if (lua_isnil(L, actions)) {
      throw LuaCallError("a production rule needs ['then'] = actions (a string, a function or a list)");
    } else {
      append_action(actions, true);
    }
    st.Glue(".");
    rules::Program p = st.Parse("production rule");
    if (p.productions.size() == 1) {
      for (rules::Action& a : p.productions[0].actions) {
        if (a.kind != rules::ActionKind::kPrint || a.args.size() != 1 || a.args[0].kind != rules::ExprKind::kString ||
            a.args[0].name.rfind(kActionMark, 0) != 0) {
          continue;
        }
        std::size_t k = std::stoul(a.args[0].name.substr(kActionMark.size()));
        std::string fn = name + ".then" + (functions.size() > 1 ? "#" + std::to_string(k + 1) : "");
        a.kind = rules::ActionKind::kCall;
        a.function = fn;
        a.args.clear();
        lua_pushvalue(L, functions[k]);
        host.refs_[fn] = luaL_ref(L, LUA_REGISTRYINDEX);
        p.functions.push_back({a.pos, fn, rules::HostFunctionKind::kAction, {}, {}});
      }
    }
    std::size_t count = p.productions.size();
    Accept(L, std::move(p), count, "a production rule");
    return 0;
  }

  // syllo.ask('ask fragile(G) "Is {G} fragile?" yes_no.') or
  // syllo.ask("fragile(G)", "Is {G} fragile?" [, "yes_no" | {one_of = {...}} | {number = {lo, hi}}])
  static int Ask(lua_State* L) {
    if (lua_gettop(L) == 1) {
      rules::Program p = ParseOne(L, 1, "ask", "question");
      std::size_t n = p.asks.size();
    Accept(L, std::move(p), n, "a question (ask ...)");
      return 0;
    }
    PackHost::Loading& ctx = HostOf(L).current();
    StatementText st(ctx, CallSite(L, ctx));
    st.Glue("ask ");
    st.Piece(CheckText(L, 1));
    st.Glue(" " + engine::QuoteString(CheckText(L, 2)) + " ");
    if (lua_isnoneornil(L, 3)) {
      st.Glue("yes_no");
    } else if (lua_type(L, 3) == LUA_TSTRING) {
      st.Piece(CheckText(L, 3));
    } else {
      luaL_checktype(L, 3, LUA_TTABLE);
      if (lua_getfield(L, 3, "one_of") == LUA_TTABLE) {
        st.Glue("one_of {");
        lua_Integer n = luaL_len(L, -1);
        for (lua_Integer i = 1; i <= n; ++i) {
          if (i > 1) st.Glue(", ");
          lua_rawgeti(L, -1, i);
          AppendTerm(L, -1, st);
          lua_pop(L, 1);
        }
        st.Glue("}");
      } else if (lua_getfield(L, 3, "number") != LUA_TNIL) {
        st.Glue("number");
        if (lua_type(L, -1) == LUA_TTABLE) {
          lua_rawgeti(L, -1, 1);
          lua_rawgeti(L, -2, 2);
          st.Glue(" in " + NumberText(L, -2) + ".." + NumberText(L, -1));
        }
      } else {
        throw LuaCallError("the kind of answer is \"yes_no\", {one_of = {...}} or {number = {low, high}}");
      }
    }
    st.Glue(".");
    rules::Program p = st.Parse("question");
    std::size_t n = p.asks.size();
    Accept(L, std::move(p), n, "a question");
    return 0;
  }

  static int Neural(lua_State* L) {
    rules::Program p = ParseOne(L, 1, "neural", "neural predicate");
    std::size_t n = p.neurals.size();
    Accept(L, std::move(p), n, "a neural declaration");
    return 0;
  }

  static int Model(lua_State* L) {
    rules::Program p = ParseOne(L, 1, "model", "model");
    std::size_t n = p.models.size();
    Accept(L, std::move(p), n, "a model declaration");
    return 0;
  }

  static int Query(lua_State* L) {
    PackHost::Loading& ctx = HostOf(L).current();
    StatementText st(ctx, CallSite(L, ctx));
    std::string text = Trim(CheckText(L, 1));
    if (text.rfind("?-", 0) != 0) st.Glue("?- ");
    if (!text.empty() && text.back() == '.') text.pop_back();
    st.Piece(text);
    st.Glue(".");
    rules::Program p = st.Parse("query");
    std::size_t n = p.queries.size();
    Accept(L, std::move(p), n, "a query");
    return 0;
  }

  // syllo.pragma("semantics", "mycin")
  static int Pragma(lua_State* L) {
    PackHost::Loading& ctx = HostOf(L).current();
    StatementText st(ctx, CallSite(L, ctx));
    st.Glue("pragma ");
    st.Piece(CheckText(L, 1));
    st.Glue(" ");
    AppendTerm(L, 2, st);
    st.Glue(".");
    rules::Program p = st.Parse("pragma");
    std::size_t n = p.pragmas.size();
    Accept(L, std::move(p), n, "a pragma");
    return 0;
  }

  // syllo.source([[ any .syl statements ]])
  static int Source(lua_State* L) {
    PackHost::Loading& ctx = HostOf(L).current();
    StatementText st(ctx, CallSite(L, ctx));
    st.Piece(CheckText(L, 1));
    rules::Program p = st.Parse("rules");
    if (!p.imports.empty()) {
      ctx.out->diagnostics.Error(p.imports.front().pos, "use syllo.include to include a file from a pack");
      p.imports.clear();
    }
    ctx.out->program.Append(std::move(p));
    return 0;
  }

  // syllo.include("other.syl" | "other.lua"), relative to the including pack.
  static int Include(lua_State* L) {
    PackHost& host = HostOf(L);
    PackHost::Loading& ctx = host.current();
    rules::SourcePos pos = CallSite(L, ctx);
    std::string from = pos.known() ? ctx.out->sources.file(pos.file).path : ctx.path;
    std::string path = (fs::path(from).parent_path() / fs::path(std::string(CheckText(L, 1)))).string();
    if (IsLuaPack(path)) {
      host.LoadPack(path, *ctx.out);
      return 0;
    }
    rules::LoadFiles({path}, *ctx.out);
    return 0;
  }

  // syllo.predicate("near(a: float, b: float)", fn) -- a test
  // syllo.predicate("split(s: string) -> (head: string, rest: string)", fn) -- a generator
  static int Predicate(lua_State* L) {
    PackHost& host = HostOf(L);
    PackHost::Loading& ctx = host.current();
    std::string signature = Trim(CheckText(L, 1));
    luaL_checktype(L, 2, LUA_TFUNCTION);
    rules::SourcePos pos = CallSite(L, ctx);
    // The signature is two relation declarations to the parser: the inputs'
    // and, after "->", the outputs'.
    std::size_t arrow = signature.find("->");
    std::string inputs = Trim(signature.substr(0, arrow));
    std::string outputs = arrow == std::string::npos ? "" : Trim(signature.substr(arrow + 2));
    StatementText st(ctx, pos);
    st.Glue("relation ");
    st.Piece(inputs);
    st.Glue(".\n");
    if (!outputs.empty()) {
      st.Glue("relation outputs");
      st.Piece(outputs);
      st.Glue(".\n");
    }
    rules::Program p = st.Parse("predicate");
    if (p.relations.size() != (outputs.empty() ? 1u : 2u) || StatementCount(p) != p.relations.size()) {
      if (!ctx.out->diagnostics.has_errors()) {
        ctx.out->diagnostics.Error(pos, "a predicate's signature is name(col: type, ...) [-> (col: type, ...)]");
      }
      return 0;
    }
    rules::HostFunctionDecl decl;
    decl.pos = p.relations[0].pos;
    decl.name = p.relations[0].name;
    decl.kind = rules::HostFunctionKind::kPredicate;
    decl.inputs = p.relations[0].columns;
    if (!outputs.empty()) decl.outputs = p.relations[1].columns;
    for (const auto* cols : {&decl.inputs, &decl.outputs}) {
      for (const rules::ColumnDecl& c : *cols) {
        if (c.type.kind == ValueKind::kTensor) {
          ctx.out->diagnostics.Error(c.pos, "a Lua predicate cannot take or give a tensor ('" + c.name + "')");
        }
      }
    }
    lua_pushvalue(L, 2);
    auto [it, fresh] = host.refs_.try_emplace(decl.name, 0);
    if (!fresh) luaL_unref(L, LUA_REGISTRYINDEX, it->second);
    it->second = luaL_ref(L, LUA_REGISTRYINDEX);
    ctx.out->program.functions.push_back(std::move(decl));
    return 0;
  }

  // ---- the session a Lua action receives ----

  static engine::HostSession& SessionOf(lua_State* L) {
    auto** slot = static_cast<engine::HostSession**>(luaL_checkudata(L, 1, kSessionMeta));
    if (*slot == nullptr) throw LuaCallError("this session belongs to an action that has returned");
    return **slot;
  }

  static engine::RelationId RelationArg(lua_State* L, engine::HostSession& s, int index) {
    std::string_view name = CheckText(L, index);
    auto id = s.program().FindRelation(name);
    if (!id) throw LuaCallError("unknown relation '" + std::string(name) + "'");
    return *id;
  }

  // The values of a fact as a Lua list, typed by the relation's columns.
  static std::vector<Value> RowArg(lua_State* L, engine::HostSession& s, engine::RelationId rel, int index) {
    const auto& columns = s.program().relations[rel].columns;
    luaL_checktype(L, index, LUA_TTABLE);
    std::vector<Value> row;
    for (std::size_t i = 0; i < columns.size(); ++i) {
      lua_rawgeti(L, index, static_cast<lua_Integer>(i + 1));
      auto v = ToValue(L, -1, columns[i].type,
                       "column " + std::to_string(i + 1) + " (" + columns[i].name + ") of '" +
                           s.program().relations[rel].name + "'");
      lua_pop(L, 1);
      if (!v.ok()) throw LuaCallError(v.status().message());
      row.push_back(*v);
    }
    return row;
  }

  // s:assert("rel", {v1, v2} [, cf])
  static int SessionAssert(lua_State* L) {
    engine::HostSession& s = SessionOf(L);
    engine::RelationId rel = RelationArg(L, s, 2);
    std::vector<Value> row = RowArg(L, s, rel, 3);
    double cf = luaL_optnumber(L, 4, 1.0);
    if (Status st = s.Assert(rel, std::move(row), cf); !st.ok()) throw LuaCallError(st.message());
    return 0;
  }

  // s:retract("rel", {v1, v2}) -> true if it was there
  static int SessionRetract(lua_State* L) {
    engine::HostSession& s = SessionOf(L);
    engine::RelationId rel = RelationArg(L, s, 2);
    std::vector<Value> row = RowArg(L, s, rel, 3);
    auto r = s.Retract(rel, row);
    if (!r.ok()) throw LuaCallError(r.status().message());
    lua_pushboolean(L, *r);
    return 1;
  }

  // s:query("rel" [, {v1, nil, v3}]) -> { {v1, v2, v3, cf = c}, ... }
  static int SessionQuery(lua_State* L) {
    engine::HostSession& s = SessionOf(L);
    engine::RelationId rel = RelationArg(L, s, 2);
    const auto& columns = s.program().relations[rel].columns;
    std::vector<std::optional<Value>> pattern(columns.size());
    if (!lua_isnoneornil(L, 3)) {
      luaL_checktype(L, 3, LUA_TTABLE);
      for (std::size_t i = 0; i < columns.size(); ++i) {
        lua_rawgeti(L, 3, static_cast<lua_Integer>(i + 1));
        if (!lua_isnil(L, -1)) {
          auto v = ToValue(L, -1, columns[i].type, "column " + std::to_string(i + 1) + " (" + columns[i].name + ")");
          if (!v.ok()) throw LuaCallError(v.status().message());
          pattern[i] = *v;
        }
        lua_pop(L, 1);
      }
    }
    std::vector<engine::HostFact> facts = s.Facts(rel, pattern);
    lua_createtable(L, static_cast<int>(std::min<std::size_t>(facts.size(), INT32_MAX)), 0);
    for (std::size_t f = 0; f < facts.size(); ++f) {
      lua_createtable(L, static_cast<int>(columns.size()), 1);
      for (std::size_t i = 0; i < facts[f].values.size(); ++i) {
        if (Status st = PushValue(L, facts[f].values[i]); !st.ok()) {
          lua_pushboolean(L, true);  // a tensor column: present, not shown
        }
        lua_rawseti(L, -2, static_cast<lua_Integer>(i + 1));
      }
      lua_pushnumber(L, facts[f].certainty);
      lua_setfield(L, -2, "cf");
      lua_rawseti(L, -2, static_cast<lua_Integer>(f + 1));
    }
    return 1;
  }

  static int SessionPrint(lua_State* L) {
    engine::HostSession& s = SessionOf(L);
    std::string line;
    for (int i = 2; i <= lua_gettop(L); ++i) {
      std::size_t len = 0;
      const char* text = luaL_tolstring(L, i, &len);
      if (i > 2) line += ' ';
      line.append(text, len);
      lua_pop(L, 1);
    }
    s.Print(line);
    return 0;
  }

  static int SessionHalt(lua_State* L) {
    SessionOf(L).Halt();
    return 0;
  }
};

// ---- PackHost ----------------------------------------------------------------------

PackHost::PackHost(PackOptions options) : options_(options) {
  state_ = std::make_unique<LuaState>(options_.budget, options_.trusted);
  state_->set_output(options_.out);
  lua_State* L = state_->get();
  static const luaL_Reg kModule[] = {
      {"relation", &LuaFunction<&PackApi::Relation>},
      {"fact", &LuaFunction<&PackApi::Fact>},
      {"facts", &LuaFunction<&PackApi::Facts>},
      {"rule", &LuaFunction<&PackApi::Rule>},
      {"production", &LuaFunction<&PackApi::Production>},
      {"ask", &LuaFunction<&PackApi::Ask>},
      {"neural", &LuaFunction<&PackApi::Neural>},
      {"model", &LuaFunction<&PackApi::Model>},
      {"query", &LuaFunction<&PackApi::Query>},
      {"pragma", &LuaFunction<&PackApi::Pragma>},
      {"source", &LuaFunction<&PackApi::Source>},
      {"include", &LuaFunction<&PackApi::Include>},
      {"predicate", &LuaFunction<&PackApi::Predicate>},
      {nullptr, nullptr},
  };
  lua_newtable(L);
  lua_pushlightuserdata(L, this);
  luaL_setfuncs(L, kModule, 1);
  lua_setglobal(L, "syllo");

  luaL_newmetatable(L, kSessionMeta);
  static const luaL_Reg kSession[] = {
      {"assert", &LuaFunction<&PackApi::SessionAssert>},
      {"retract", &LuaFunction<&PackApi::SessionRetract>},
      {"query", &LuaFunction<&PackApi::SessionQuery>},
      {"print", &LuaFunction<&PackApi::SessionPrint>},
      {"halt", &LuaFunction<&PackApi::SessionHalt>},
      {nullptr, nullptr},
  };
  lua_newtable(L);
  luaL_setfuncs(L, kSession, 0);
  lua_setfield(L, -2, "__index");
  lua_pushliteral(L, "locked");
  lua_setfield(L, -2, "__metatable");
  lua_pop(L, 1);

  // Drains a generator's iterator into a list of rows, inside the budget.
  static constexpr std::string_view kDrain = R"(
    local iterator, limit = ...
    local rows, n = {}, 0
    while true do
      local row = table.pack(iterator())
      if row[1] == nil then return rows end
      n = n + 1
      if n > limit then error("a generator yielded more than " .. limit .. " rows", 0) end
      row.n = nil
      rows[n] = row
    end)";
  if (Status st = state_->Load(kDrain, "=syllo"); !st.ok()) throw std::logic_error(st.message());
  drain_ref_ = luaL_ref(L, LUA_REGISTRYINDEX);
}

PackHost::~PackHost() = default;

void PackHost::set_output(std::ostream* out) {
  options_.out = out;
  state_->set_output(out);
}

void PackHost::LoadPack(const std::string& path, rules::LoadedProgram& out) {
  std::error_code ec;
  fs::path canonical = fs::weakly_canonical(fs::path(path), ec);
  std::string key = ec ? path : canonical.string();
  rules::SourcePos at;
  if (!loading_.empty()) at = CallSite(state_->get(), *loading_.back());
  for (std::size_t i = 0; i < chain_.size(); ++i) {
    if (chain_[i] != key) continue;
    throw LuaCallError("include cycle: '" + path + "' is already being loaded");
  }
  fs::file_status status = fs::status(path, ec);
  std::string error;
  std::string text;
  if (!ec && fs::exists(status) && !fs::is_regular_file(status)) {
    error = fs::is_directory(status) ? "is a directory" : "not a regular file";
  } else {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      error = std::strerror(errno != 0 ? errno : ENOENT);
    } else {
      std::ostringstream buf;
      buf << in.rdbuf();
      text = buf.str();
      if (text.size() > kMaxPackBytes) error = "file is larger than 64 MiB";
    }
  }
  if (!error.empty()) {
    if (!loading_.empty()) throw LuaCallError("cannot include '" + path + "': " + error);
    rules::FileId id = out.sources.Add(path, "");
    out.diagnostics.Error(rules::SourcePos{id, 0, 0}, "cannot read file: " + error);
    return;
  }
  RunPack(path, key, std::move(text), out);
}

void PackHost::LoadPackText(const std::string& name, std::string text, rules::LoadedProgram& out) {
  RunPack(name, name, std::move(text), out);
}

void PackHost::RunPack(const std::string& path, const std::string& key, std::string text,
                       rules::LoadedProgram& out) {
  rules::FileId file = out.sources.Add(path, text);
  Loading ctx;
  ctx.out = &out;
  ctx.path = path;
  if (!loading_.empty()) ctx.chunks = loading_.back()->chunks;
  std::string chunk = "@" + path;
  ctx.chunks[chunk] = file;
  chain_.push_back(key);
  loading_.push_back(&ctx);
  struct Pop {
    PackHost* h;
    ~Pop() {
      h->loading_.pop_back();
      h->chain_.pop_back();
    }
  } pop{this};

  Status st = state_->Load(out.sources.file(file).text, chunk);
  if (st.ok()) st = state_->Call(0, 0);
  if (st.ok()) return;
  if (loading_.size() > 1) throw LuaCallError(st.message());  // an include: the including pack reports it
  // "path:line: message" -> a diagnostic at that line of whichever pack it names.
  std::string message = st.message();
  rules::SourcePos pos{file, 0, 0};
  for (const auto& [name, id] : ctx.chunks) {
    std::string prefix = name.substr(1) + ":";
    if (message.rfind(prefix, 0) != 0) continue;
    std::size_t end = message.find(':', prefix.size());
    if (end == std::string::npos) continue;
    try {
      auto line = static_cast<std::uint32_t>(std::stoul(message.substr(prefix.size(), end - prefix.size())));
      pos = rules::SourcePos{id, line, 1};
      std::string_view text = out.sources.Line(id, line);
      while (pos.column <= text.size() && std::isspace(static_cast<unsigned char>(text[pos.column - 1]))) {
        ++pos.column;
      }
      message = Trim(message.substr(end + 1));
    } catch (const std::exception&) {
    }
    break;
  }
  out.diagnostics.Error(pos, message);
}

Status PackHost::Bind(const engine::ProgramSpec& program) {
  bound_.assign(program.functions.size(), {});
  for (std::size_t i = 0; i < program.functions.size(); ++i) {
    auto it = refs_.find(program.functions[i].name);
    if (it == refs_.end()) {
      return Status::NotFound("no Lua function for '" + program.functions[i].name + "'");
    }
    bound_[i] = {it->second, &program.functions[i]};
  }
  return Status();
}

Status PackHost::Call(std::uint32_t function, std::span<const Value> inputs, engine::HostRows* out) {
  if (function >= bound_.size() || bound_[function].spec == nullptr) {
    return Status::Internal("host function " + std::to_string(function) + " is not bound");
  }
  const Bound& b = bound_[function];
  lua_State* L = state_->get();
  if (!lua_checkstack(L, static_cast<int>(inputs.size()) + 4)) return Status::LimitExceeded("Lua stack overflow");
  lua_rawgeti(L, LUA_REGISTRYINDEX, b.ref);
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (Status st = PushValue(L, inputs[i]); !st.ok()) {
      lua_pop(L, static_cast<int>(i) + 1);
      return Status::InvalidArgument("predicate '" + b.spec->name + "': " + st.message());
    }
  }
  ++calls_;
  auto context = [&](const Status& st) {
    return Status(st.code(), "predicate '" + b.spec->name + "' (" + b.spec->location + "): " + st.message());
  };
  if (Status st = state_->Call(static_cast<int>(inputs.size()), 1); !st.ok()) return context(st);
  if (b.spec->outputs.empty()) {
    if (lua_toboolean(L, -1)) ++out->rows;
    lua_pop(L, 1);
    return Status();
  }
  if (lua_type(L, -1) == LUA_TFUNCTION) {
    lua_rawgeti(L, LUA_REGISTRYINDEX, drain_ref_);
    lua_insert(L, -2);
    lua_pushinteger(L, static_cast<lua_Integer>(kMaxRowsPerCall));
    if (Status st = state_->Call(2, 1); !st.ok()) return context(st);
  }
  Status st = ResultRows(*b.spec, out);
  lua_pop(L, 1);
  return st.ok() ? st : context(st);
}

// The generator's result on top of the stack: nil or false (no rows), or a
// list of rows; a row is a list of the outputs, or the value alone when there
// is one output.
Status PackHost::ResultRows(const engine::HostFunctionSpec& fn, engine::HostRows* out) {
  lua_State* L = state_->get();
  int result = lua_gettop(L);
  if (!lua_toboolean(L, result)) return Status();
  if (lua_type(L, result) != LUA_TTABLE) {
    return Status::InvalidArgument(std::string("must return a list of rows or an iterator, got ") +
                                   luaL_typename(L, result));
  }
  const std::size_t arity = fn.outputs.size();
  lua_Integer n = luaL_len(L, result);
  if (n < 0 || static_cast<std::size_t>(n) > kMaxRowsPerCall) {
    return Status::LimitExceeded("returned more than " + std::to_string(kMaxRowsPerCall) + " rows");
  }
  for (lua_Integer r = 1; r <= n; ++r) {
    lua_rawgeti(L, result, r);
    int row = lua_gettop(L);
    bool scalar = arity == 1 && lua_type(L, row) != LUA_TTABLE;
    if (!scalar && lua_type(L, row) != LUA_TTABLE) {
      lua_settop(L, result);
      return Status::InvalidArgument("row " + std::to_string(r) + " must be a list of " +
                                     std::to_string(arity) + " values");
    }
    for (std::size_t i = 0; i < arity; ++i) {
      if (!scalar) lua_rawgeti(L, row, static_cast<lua_Integer>(i + 1));
      auto v = ToValue(L, -1, fn.outputs[i].type,
                       "output " + std::to_string(i + 1) + " (" + fn.outputs[i].name + ") of row " +
                           std::to_string(r));
      if (!scalar) lua_pop(L, 1);
      if (!v.ok()) {
        lua_settop(L, result);
        return v.status();
      }
      out->values.push_back(*v);
    }
    ++out->rows;
    lua_settop(L, result);
  }
  return Status();
}

Status PackHost::Act(std::uint32_t function, std::span<const std::string> names, std::span<const Value> values,
                     engine::HostSession& session) {
  if (function >= bound_.size() || bound_[function].spec == nullptr) {
    return Status::Internal("host action " + std::to_string(function) + " is not bound");
  }
  const Bound& b = bound_[function];
  lua_State* L = state_->get();
  lua_rawgeti(L, LUA_REGISTRYINDEX, b.ref);
  auto** slot = static_cast<engine::HostSession**>(lua_newuserdatauv(L, sizeof(engine::HostSession*), 0));
  *slot = &session;
  luaL_setmetatable(L, kSessionMeta);
  lua_pushvalue(L, -1);
  int session_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  lua_createtable(L, 0, static_cast<int>(names.size()));
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (!PushValue(L, values[i]).ok()) continue;  // a tensor stays out of the bindings
    lua_setfield(L, -2, names[i].c_str());
  }
  ++calls_;
  Status st = state_->Call(2, 0);
  // A session kept by the pack past the action is dead from now on.
  lua_rawgeti(L, LUA_REGISTRYINDEX, session_ref);
  *static_cast<engine::HostSession**>(lua_touserdata(L, -1)) = nullptr;
  lua_pop(L, 1);
  luaL_unref(L, LUA_REGISTRYINDEX, session_ref);
  if (!st.ok()) return Status(st.code(), "Lua action of " + b.spec->name + ": " + st.message());
  return Status();
}

}  // namespace syllo::scripting
