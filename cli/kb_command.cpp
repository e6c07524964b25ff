// `syllo kb`: create a knowledge base from rule packs, import and export facts,
// and show what a knowledge base holds.
//
//   syllo kb init KB [PACK.syl...]
//   syllo kb import KB RELATION FILE [--format csv|jsonl] [--batch-rows N]
//   syllo kb export KB RELATION [--format csv|jsonl] [-o FILE]
//   syllo kb stats KB
//
// Errors are one line on stderr ("syllo kb: error: ..."); exit statuses as in
// cli/command.h.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "cli/command.h"
#include "scripting/program_files.h"
#include "kb/data_format.h"
#include "kb/knowledge_base.h"
#include "rules/checker.h"
#include "rules/loader.h"

namespace syllo::cli {

namespace {

int Fail(const Status& s) {
  std::cerr << "syllo kb: error: " << s.message() << "\n";
  switch (s.code()) {
    case StatusCode::kInvalidArgument:
    case StatusCode::kAlreadyExists:
    case StatusCode::kNotFound:
      return kExitInputError;
    default:
      return kExitIoError;
  }
}

// A KB that cannot be opened is an unreadable file, whatever the reason.
int FailOpen(const Status& s) {
  std::cerr << "syllo kb: error: " << s.message() << "\n";
  return s.code() == StatusCode::kInvalidArgument ? kExitInputError : kExitIoError;
}

// ---- init --------------------------------------------------------------------

struct InitOptions {
  std::string kb;
  std::vector<std::string> packs;
};

struct CheckedPack {
  std::string path;
  rules::LoadedProgram loaded;
};

Result<engine::Value> ConstantValue(const rules::Expr& e) {
  switch (e.kind) {
    case rules::ExprKind::kInt: return engine::Value::Int(e.int_value);
    case rules::ExprKind::kFloat: return engine::Value::Float(e.float_value);
    case rules::ExprKind::kBool: return engine::Value::Bool(e.bool_value);
    case rules::ExprKind::kSymbol: return engine::Value::MakeSymbol(e.name);
    case rules::ExprKind::kString: return engine::Value::MakeString(e.name);
    case rules::ExprKind::kUnary:
      if (e.name == "-" && e.args.size() == 1) {
        if (e.args[0].kind == rules::ExprKind::kInt) return engine::Value::Int(-e.args[0].int_value);
        if (e.args[0].kind == rules::ExprKind::kFloat) return engine::Value::Float(-e.args[0].float_value);
      }
      break;
    default:
      break;
  }
  return Status::InvalidArgument("a fact's arguments must be constants");
}

std::vector<engine::Column> ColumnsOf(const std::vector<rules::ColumnDecl>& decls) {
  std::vector<engine::Column> columns;
  for (const rules::ColumnDecl& c : decls) columns.push_back({c.name, c.type});
  return columns;
}

// Declares the pack's relations, inserts its facts and records its source.
// REQUIRES: the pack checked without errors.
Status StorePack(kb::KnowledgeBase& kb, const CheckedPack& pack, std::size_t& facts) {
  const rules::Program& p = pack.loaded.program;
  for (const rules::RelationDecl& r : p.relations) {
    if (Status s = kb.DeclareRelation(r.name, ColumnsOf(r.columns)); !s.ok()) {
      return Status(s.code(), pack.loaded.sources.Describe(r.pos) + ": " + s.message());
    }
  }
  for (const rules::NeuralDecl& n : p.neurals) {
    std::vector<engine::Column> columns = ColumnsOf(n.inputs);
    columns.push_back({n.output, n.OutputType()});
    if (Status s = kb.DeclareRelation(n.name, std::move(columns)); !s.ok()) {
      return Status(s.code(), pack.loaded.sources.Describe(n.pos) + ": " + s.message());
    }
  }
  for (const rules::FactDecl& f : p.facts) {
    kb::FactRow row;
    row.certainty = f.certainty.value_or(1.0);
    row.origin = engine::Origin::kAsserted;
    for (const rules::Expr& arg : f.atom.args) {
      Result<engine::Value> v = ConstantValue(arg);
      if (!v.ok()) return Status::InvalidArgument(pack.loaded.sources.Describe(arg.pos) + ": " + v.status().message());
      row.values.push_back(*v);
    }
    if (Status s = kb.InsertFacts(f.atom.relation, std::span(&row, 1)); !s.ok()) {
      return Status(s.code(), pack.loaded.sources.Describe(f.pos) + ": " + s.message());
    }
    ++facts;
  }
  // The pack's own file (imports are part of the program, not separate packs).
  std::string source;
  for (std::size_t i = 0; i < pack.loaded.sources.size(); ++i) {
    const rules::SourceFile& file = pack.loaded.sources.file(static_cast<rules::FileId>(i));
    if (file.path == pack.path) source = file.text;
  }
  return kb.RecordPack(std::filesystem::path(pack.path).stem().string(), pack.path, source);
}

int RunInit(const InitOptions& options, const CommandContext& ctx) {
  // Check every pack before touching the KB: a pack with errors changes nothing.
  std::vector<std::unique_ptr<CheckedPack>> packs;
  bool errors = false;
  for (const std::string& path : options.packs) {
    auto pack = std::make_unique<CheckedPack>();
    pack->path = path;
    // A Lua pack runs (sandboxed, what it prints goes to stderr) to declare its program.
    std::unique_ptr<scripting::PackHost> host;
    scripting::PackOptions lua;
    lua.out = &std::cerr;
    scripting::LoadProgramFiles({path}, lua, pack->loaded, &host);
    if (!pack->loaded.diagnostics.has_errors()) {
      rules::Check(pack->loaded.sources, pack->loaded.program, pack->loaded.diagnostics);
    }
    pack->loaded.diagnostics.Sort();
    if (pack->loaded.diagnostics.has_errors()) {
      std::cerr << rules::RenderAll(pack->loaded.sources, pack->loaded.diagnostics, ctx.color);
      errors = true;
    }
    packs.push_back(std::move(pack));
  }
  if (errors) {
    std::cerr << "syllo kb: error: rule packs have errors; " << options.kb << " was not changed\n";
    return kExitInputError;
  }

  Result<std::unique_ptr<kb::KnowledgeBase>> kb = kb::KnowledgeBase::Open(options.kb, kb::OpenMode::kCreate);
  if (!kb.ok()) return FailOpen(kb.status());
  std::size_t facts = 0;
  Status s = (*kb)->InTransaction([&]() -> Status {
    for (const auto& pack : packs) {
      if (Status st = StorePack(**kb, *pack, facts); !st.ok()) return st;
    }
    return Status::Ok();
  });
  if (!s.ok()) return Fail(s);
  Result<std::vector<kb::RelationInfo>> relations = (*kb)->Relations();
  if (!relations.ok()) return Fail(relations.status());
  std::cout << options.kb << ": " << relations->size() << " relations, " << facts << " facts from "
            << packs.size() << (packs.size() == 1 ? " pack" : " packs") << "\n";
  return kExitOk;
}

// ---- import / export -----------------------------------------------------------

struct ImportCliOptions {
  std::string kb;
  std::string relation;
  std::string file;
  std::string format;
  std::size_t batch_rows = 0;
};

int RunImport(const ImportCliOptions& options) {
  Result<kb::DataFormat> format = options.format.empty() ? kb::DataFormatForPath(options.file)
                                                         : kb::ParseDataFormat(options.format);
  if (!format.ok()) return Fail(format.status());
  Result<std::unique_ptr<kb::KnowledgeBase>> kb = kb::KnowledgeBase::Open(options.kb, kb::OpenMode::kReadWrite);
  if (!kb.ok()) return FailOpen(kb.status());
  kb::ImportOptions import;
  import.batch_rows = options.batch_rows;
  if (options.batch_rows > 0) {
    // Progress goes to stderr so that stdout stays the summary alone.
    import.on_commit = [](std::uint64_t rows) { std::cerr << "committed " << rows << " rows\n"; };
  }
  Result<kb::ImportResult> result =
      options.file == "-" ? (*kb)->Import(options.relation, std::cin, "<stdin>", *format, import)
                          : (*kb)->Import(options.relation, options.file, *format, import);
  if (!result.ok()) return Fail(result.status());
  std::cout << "imported " << result->rows << " rows into " << options.relation << " (" << result->batches
            << (result->batches == 1 ? " transaction" : " transactions") << ")\n";
  return kExitOk;
}

struct ExportCliOptions {
  std::string kb;
  std::string relation;
  std::string format;
  std::string output;
};

int RunExport(const ExportCliOptions& options) {
  Result<kb::DataFormat> format = kb::DataFormat::kCsv;
  if (!options.format.empty()) {
    format = kb::ParseDataFormat(options.format);
  } else if (!options.output.empty() && options.output != "-") {
    format = kb::DataFormatForPath(options.output);
  }
  if (!format.ok()) return Fail(format.status());
  Result<std::unique_ptr<kb::KnowledgeBase>> kb = kb::KnowledgeBase::Open(options.kb, kb::OpenMode::kReadOnly);
  if (!kb.ok()) return FailOpen(kb.status());
  if (options.output.empty() || options.output == "-") {
    Status s = (*kb)->Export(options.relation, std::cout, *format);
    return s.ok() ? kExitOk : Fail(s);
  }
  std::ofstream out(options.output, std::ios::binary | std::ios::trunc);
  if (!out) return Fail(Status::IoError("cannot write " + options.output));
  Status s = (*kb)->Export(options.relation, out, *format);
  if (!s.ok()) {
    out.close();
    std::filesystem::remove(options.output);  // no half-written export left behind
    return Fail(s);
  }
  return kExitOk;
}

// ---- stats -----------------------------------------------------------------------

int RunStats(const std::string& path) {
  Result<std::unique_ptr<kb::KnowledgeBase>> kb = kb::KnowledgeBase::Open(path, kb::OpenMode::kReadOnly);
  if (!kb.ok()) return FailOpen(kb.status());
  Result<kb::KbStats> stats = (*kb)->Stats();
  if (!stats.ok()) return Fail(stats.status());
  std::int64_t facts = 0;
  for (const kb::RelationInfo& r : stats->relations) facts += r.fact_count;
  std::cout << "knowledge base: " << path << "\n"
            << "schema version: " << stats->schema_version << "\n"
            << "journal mode: " << stats->journal_mode << "\n"
            << "file size: " << stats->file_bytes << " bytes\n"
            << "relations: " << stats->relations.size() << " (" << facts << " facts)\n";
  for (const kb::RelationInfo& r : stats->relations) {
    std::cout << "  " << r.signature << ": " << r.fact_count << (r.fact_count == 1 ? " fact" : " facts") << "\n";
  }
  std::cout << "packs: " << stats->packs.size() << "\n";
  for (const kb::PackInfo& p : stats->packs) {
    std::cout << "  " << p.name << ": " << p.path << ", " << p.source_bytes << " bytes, " << p.hash << ", loaded "
              << p.loaded_at << "\n";
  }
  return kExitOk;
}

}  // namespace

void AddKbCommand(CLI::App& app, CommandContext& ctx) {
  CLI::App* kb = app.add_subcommand("kb", "Create, fill and inspect a knowledge base (a SQLite file)");
  kb->require_subcommand(1);
  kb->footer("Exit status: 0 success, 1 the input has errors, 2 usage error, 3 I/O or internal error.");

  auto init = std::make_shared<InitOptions>();
  CLI::App* init_cmd = kb->add_subcommand(
      "init", "Create KB (or add to it): declare the relations of each rule pack, store its facts and source");
  init_cmd->add_option("kb", init->kb, "The knowledge base file")->required();
  init_cmd->add_option("packs", init->packs, "Rule packs (.syl); checked first, stored in one transaction");
  init_cmd->footer("A pack with errors is reported with its diagnostics and nothing is written.");
  init_cmd->callback([init, &ctx] { ctx.exit_code = RunInit(*init, ctx); });

  auto import = std::make_shared<ImportCliOptions>();
  CLI::App* import_cmd = kb->add_subcommand("import", "Import facts of one relation from CSV or JSON lines");
  import_cmd->add_option("kb", import->kb, "The knowledge base file (must exist)")->required();
  import_cmd->add_option("relation", import->relation, "A declared relation")->required();
  import_cmd->add_option("file", import->file, "CSV with a header row, or JSON lines; - reads stdin")->required();
  import_cmd->add_option("--format", import->format, "csv or jsonl (default: by the file's extension)")
      ->check(CLI::IsMember({"csv", "jsonl"}));
  import_cmd->add_option("--batch-rows", import->batch_rows,
                         "Commit every N rows (default: the whole file in one transaction)")
      ->check(CLI::PositiveNumber);
  import_cmd->footer(
      "CSV: a header naming the relation's columns in any order, plus optional cf (certainty) and origin.\n"
      "JSON lines: one object per line, keys = column names, plus optional \"cf\" and \"origin\".\n"
      "A malformed row is reported as FILE:line N, column 'NAME' (#I): ... (or key 'NAME' for JSON lines)\n"
      "and nothing of its batch is imported.");
  import_cmd->callback([import, &ctx] { ctx.exit_code = RunImport(*import); });

  auto exp = std::make_shared<ExportCliOptions>();
  CLI::App* export_cmd = kb->add_subcommand("export", "Export the facts of one relation as CSV or JSON lines");
  export_cmd->add_option("kb", exp->kb, "The knowledge base file")->required();
  export_cmd->add_option("relation", exp->relation, "A declared relation")->required();
  export_cmd->add_option("--format", exp->format, "csv or jsonl (default: by -o's extension, else csv)")
      ->check(CLI::IsMember({"csv", "jsonl"}));
  export_cmd->add_option("-o,--output", exp->output, "Output file (default: stdout)");
  export_cmd->footer("The output imports back unchanged, certainty and origin included.");
  export_cmd->callback([exp, &ctx] { ctx.exit_code = RunExport(*exp); });

  auto stats_path = std::make_shared<std::string>();
  CLI::App* stats_cmd = kb->add_subcommand("stats", "Show schema version, relations with fact counts, and packs");
  stats_cmd->add_option("kb", *stats_path, "The knowledge base file")->required();
  stats_cmd->callback([stats_path, &ctx] { ctx.exit_code = RunStats(*stats_path); });
}

}  // namespace syllo::cli
