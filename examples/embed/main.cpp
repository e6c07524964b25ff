// A small application using Syllo's embedding API: a shipping decision for
// each order given on the command line, with the rule that decided it.
//
//   embed_example 1200:de 40:us
#include <syllo/syllo.h>

#include <iostream>
#include <string>

namespace {

constexpr const char* kRules = R"(
relation order(id: string, amount: int, country: symbol).
relation eu(country: symbol).
relation shipping(id: string, method: symbol).

eu(de). eu(fr). eu(nl).
shipping(Id, express) :- order(Id, A, C), A >= 1000, eu(C).
shipping(Id, standard) :- order(Id, A, C), A < 1000, eu(C).
shipping(Id, freight) :- order(Id, _, C), not eu(C).
)";

}  // namespace

int main(int argc, char** argv) {
  auto program = syllo::Program::FromText(kRules, "shipping.syl");
  if (!program.ok()) {
    std::cerr << program.status().message();
    return 1;
  }
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto colon = arg.find(':');
    if (colon == std::string::npos) {
      std::cerr << "usage: embed_example AMOUNT:COUNTRY...\n";
      return 2;
    }
    syllo::Session session(*program);
    std::string id = "order" + std::to_string(i);
    syllo::Status s = session.Assert("order", {syllo::Value::String(id), syllo::Value::Int(std::stoll(arg.substr(0, colon))),
                                               syllo::Value::Symbol(arg.substr(colon + 1))});
    if (!s.ok()) {
      std::cerr << s.message() << "\n";
      return 1;
    }
    auto run = session.Run();
    if (!run.ok()) {
      std::cerr << run.status().message() << "\n";
      return 1;
    }
    for (const syllo::Fact& f : *session.Facts("shipping")) {
      auto why = session.Explain(f);
      std::cout << id << " " << f.values[1].text() << " by " << (why.ok() ? why->rule : "?") << "\n";
    }
  }
  return 0;
}
