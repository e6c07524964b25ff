// Session: what a REPL works on. The loaded packs (AST and compiled program),
// a forward session whose working memory holds the program's facts, the facts
// of the knowledge base, what the user asserted or retracted at the prompt and
// the replies given to questions; and the knowledge base itself, if one is open.
//
// Loading a pack or :reset rebuilds everything from the packs, the knowledge
// base and the user's changes, so the session is always what a fresh start
// with the same input would give.
//
// Thread safety: none; the REPL's thread.
#pragma once

#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "engine/forward_session.h"
#include "learners/model_predicates.h"
#include "engine/program.h"
#include "engine/watch_printer.h"
#include "kb/knowledge_base.h"
#include "rules/loader.h"
#include "rules/query_compiler.h"
#include "scripting/lua_pack.h"

namespace syllo::repl {

class Session {
 public:
  // Diagnostics and errors go to `err` (with colour if `color`); what rules
  // print goes to `out`.
  Session(std::ostream& out, std::ostream& err, bool color, scripting::PackOptions lua = {})
      : out_(out), err_(err), color_(color), lua_(lua) {
    lua_.out = &out_;
  }

  // Opens the knowledge base (created if missing) and loads the packs. False
  // (with the reason printed) on errors; the session then has no program.
  bool Open(const std::vector<std::string>& packs, const std::string& db);
  // Adds a pack and rebuilds; on errors the session keeps its previous program.
  bool Load(const std::string& path);
  // Rebuilds from the packs, the knowledge base and the user's changes.
  bool Rebuild();
  // Forgets the user's asserts, retracts and replies of this session, then rebuilds.
  bool Reset();

  bool has_program() const { return spec_ != nullptr; }
  const std::vector<std::string>& packs() const { return packs_; }
  rules::LoadedProgram& loaded() { return *loaded_; }
  std::shared_ptr<const engine::ProgramSpec> spec() const { return spec_; }
  engine::ForwardSession& forward() { return *forward_; }
  // The Lua packs' functions (null when no Lua pack is loaded).
  scripting::PackHost* host() { return host_.get(); }
  engine::WatchPrinter& watch() { return *watch_; }
  kb::KnowledgeBase* kb() { return kb_.get(); }
  engine::NeuralPredicates* models() { return models_.get(); }
  bool color() const { return color_; }

  // `p(a, b).` / `p(a) cf 0.7.`: asserted into working memory (and forward
  // chaining sees it at the next :run). False with diagnostics on errors.
  bool AssertText(const std::string& text);
  // `retract p(a, b).`
  bool RetractText(const std::string& text);
  // A reply to a question: a fact with origin `user`, kept in working memory and
  // written to the knowledge base at once, so a consultation can be resumed.
  void RecordReply(engine::RelationId relation, std::vector<engine::Value> row, double certainty);
  // `unknown` to a question no fact can record (one_of, number): remembered for
  // this session so it is not asked again.
  void RecordUnknown(engine::RelationId relation, std::span<const engine::Value> key);
  bool AnsweredUnknown(engine::RelationId relation, std::span<const engine::Value> key) const;

  // `?- goal.` compiled against the program; null with diagnostics on errors.
  std::unique_ptr<rules::CompiledQuery> CompileQuery(const std::string& text);

  // Words TAB can complete to: relation names and the program's symbols.
  std::vector<std::string> CompletionWords() const;

  // Prints an error (red on a terminal).
  void Error(const std::string& message);

 private:
  struct Change {
    enum class Kind { kAssert, kRetract } kind;
    std::string relation;
    std::vector<engine::Value> row;
    double certainty = 1.0;
    engine::Origin origin = engine::Origin::kAsserted;
  };
  bool Apply(const Change& change);
  bool ShowDiagnostics(const rules::SourceSet& sources, const rules::Diagnostics& diags);

  std::ostream& out_;
  std::ostream& err_;
  bool color_;
  scripting::PackOptions lua_;
  std::vector<std::string> packs_;
  std::unique_ptr<rules::LoadedProgram> loaded_;
  std::shared_ptr<engine::ProgramSpec> spec_;
  std::unique_ptr<scripting::PackHost> host_;  // declared before forward_, which calls it
  std::unique_ptr<engine::ForwardSession> forward_;
  std::unique_ptr<engine::WatchPrinter> watch_;
  std::unique_ptr<kb::KnowledgeBase> kb_;
  // After kb_, which it reads models from, so it goes first. Made afresh on
  // each rebuild, so a version trained meanwhile is picked up.
  std::unique_ptr<learners::ModelPredicates> models_;
  std::vector<Change> changes_;
  std::vector<std::pair<std::string, std::vector<engine::Value>>> unknowns_;  // by relation name
};

}  // namespace syllo::repl
