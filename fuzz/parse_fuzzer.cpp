// Fuzzes the front end: any bytes go through the loader (parser), the checker
// and the printer without crashing, hanging or tripping a sanitizer, and a
// program that parses without errors survives the printer's round trip:
// Parse(Print(P)) has no errors and prints the same text.
#include <cstddef>
#include <cstdint>
#include <string>

#include "rules/checker.h"
#include "rules/loader.h"
#include "rules/parser.h"
#include "rules/printer.h"

namespace {

using namespace syllo::rules;

// Relative imports resolve under a directory that does not exist, so inputs do
// not read files by chance.
constexpr const char* kInputName = "/nonexistent-syllo-fuzz/input.syl";

void CheckRoundTrip(const std::string& text) {
  SourceSet sources;
  Program program;
  Diagnostics diags;
  Parse(sources, sources.Add(kInputName, text), program, diags);
  if (diags.has_errors()) return;
  std::string printed = Print(program);

  SourceSet sources2;
  Program program2;
  Diagnostics diags2;
  Parse(sources2, sources2.Add(kInputName, printed), program2, diags2);
  if (diags2.has_errors()) __builtin_trap();  // the printer wrote something the parser rejects
  if (Print(program2) != printed) __builtin_trap();  // printing is not a fixed point
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);

  LoadedProgram loaded;
  LoadText(kInputName, text, loaded);
  Check(loaded.sources, loaded.program, loaded.diagnostics);
  std::string printed = Print(loaded.program);
  std::string rendered = RenderAll(loaded.sources, loaded.diagnostics);
  if (loaded.diagnostics.has_errors() && rendered.empty()) __builtin_trap();

  CheckRoundTrip(text);
  return 0;
}
