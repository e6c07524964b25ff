// decide_bench: the decision-service benchmark in process, through the public
// embedding API only (include/syllo/syllo.h).
//
//   decide_bench --pack packs/loan/loan.syl --input applicants.jsonl
//                [--out decisions.jsonl] [--expected decisions.expected.jsonl]
//                [--warmup 1] [--passes 5]
//
// The same measurement as shared/bench/decision/bench.js, for Syllo: the pack
// is compiled once (setupMs); the applicants (JSON lines with the bench's
// camelCase keys) are parsed before timing and turned into rows of the pack's
// `applicant` relation, matched by column name (annualIncome -> annual_income)
// in the relation's column order. Then, after the warm-up (in passes over the
// input, fractional allowed), `passes` passes over all applicants, one
// decision at a time on one thread. One decision is what a decision service
// does per request:
//
//   a fresh syllo::Session, Assert the applicant, Run, read `decision` and `reason`
//
// and its latency is measured around exactly that. Prints one JSON object
// (decisionsPerSec is the median pass; p50us/p99us over all measured
// decisions; maxRssMiB the process's peak RSS) and writes the decisions of
// the last pass in the bench's canonical form to --out:
//
//   {"id":"A000002","decision":"refer","grade":"D","score":30,"reasons":["CREDIT_SCORE_BORDERLINE",...]}
//
// With --expected, counts the decisions that differ from that file
// (canonical lines, e.g. the bench's decisions.expected.jsonl). Exit status: 0,
// 1 when a decision failed or differs, 2 on bad usage or input.
#include <sys/resource.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <syllo/syllo.h>

namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

struct Options {
  std::string pack;
  std::string input;
  std::string out;
  std::string expected;
  double warmup = 1;
  int passes = 5;
};

[[noreturn]] void Usage(const std::string& problem) {
  std::cerr << "decide_bench: " << problem << "\n"
            << "usage: decide_bench --pack PACK.syl --input applicants.jsonl [--out decisions.jsonl]\n"
            << "                    [--expected decisions.expected.jsonl] [--warmup P] [--passes P]\n";
  std::exit(2);
}

Options ParseArgs(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      std::cout << "usage: decide_bench --pack PACK.syl --input applicants.jsonl [--out decisions.jsonl]\n"
                   "                    [--expected decisions.expected.jsonl] [--warmup P] [--passes P]\n";
      std::exit(0);
    }
    if (i + 1 >= argc) Usage(arg + " needs a value");
    const std::string value = argv[++i];
    try {
      if (arg == "--pack") o.pack = value;
      else if (arg == "--input") o.input = value;
      else if (arg == "--out") o.out = value;
      else if (arg == "--expected") o.expected = value;
      else if (arg == "--warmup") o.warmup = std::stod(value);
      else if (arg == "--passes") o.passes = std::stoi(value);
      else Usage("unknown option " + arg);
    } catch (const std::exception&) {
      Usage("bad number for " + arg + ": " + value);
    }
  }
  if (o.pack.empty() || o.input.empty()) Usage("--pack and --input are required");
  if (o.passes < 1 || o.warmup < 0) Usage("--passes must be at least 1 and --warmup not negative");
  return o;
}

// annualIncome -> annual_income, latePayments12m -> late_payments12m.
std::string SnakeCase(const std::string& name) {
  std::string out;
  for (char c : name) {
    if (std::isupper(static_cast<unsigned char>(c))) {
      out += '_';
      out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    } else {
      out += c;
    }
  }
  return out;
}

// One JSON value as the Value a column of this type takes.
std::optional<syllo::Value> ToValue(const json& v, const std::string& type) {
  if (type == "int") {
    if (v.is_number_integer()) return syllo::Value::Int(v.get<std::int64_t>());
    if (v.is_number_float() && std::trunc(v.get<double>()) == v.get<double>()) {
      return syllo::Value::Int(static_cast<std::int64_t>(v.get<double>()));
    }
  } else if (type == "float") {
    if (v.is_number()) return syllo::Value::Float(v.get<double>());
  } else if (type == "bool") {
    if (v.is_boolean()) return syllo::Value::Bool(v.get<bool>());
  } else if (type == "symbol") {
    if (v.is_string()) return syllo::Value::Symbol(v.get<std::string>());
  } else if (type == "string") {
    if (v.is_string()) return syllo::Value::String(v.get<std::string>());
  }
  return std::nullopt;
}

struct Applicant {
  std::string id;
  std::vector<syllo::Value> row;  // in the relation's column order
};

std::vector<Applicant> ReadApplicants(const std::string& path, const syllo::RelationInfo& relation) {
  std::ifstream in(path);
  if (!in) Usage("cannot read " + path);
  std::vector<Applicant> out;
  std::size_t line_no = 0;
  for (std::string line; std::getline(in, line);) {
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const std::string where = path + ":" + std::to_string(line_no);
    json j;
    try {
      j = json::parse(line);
    } catch (const json::exception& e) {
      Usage(where + ": " + e.what());
    }
    if (!j.is_object()) Usage(where + ": not a JSON object");
    std::map<std::string, const json*> by_column;
    for (const auto& [key, value] : j.items()) by_column[SnakeCase(key)] = &value;
    Applicant a;
    for (const syllo::ColumnInfo& c : relation.columns) {
      auto it = by_column.find(c.name);
      if (it == by_column.end()) Usage(where + ": no field for column '" + c.name + "'");
      std::optional<syllo::Value> v = ToValue(*it->second, c.type);
      if (!v) Usage(where + ": " + c.name + " is not a " + c.type + ": " + it->second->dump());
      a.row.push_back(std::move(*v));
    }
    auto id = by_column.find("id");
    a.id = id != by_column.end() && id->second->is_string() ? id->second->get<std::string>() : std::to_string(line_no);
    out.push_back(std::move(a));
  }
  if (out.empty()) Usage(path + ": no applicants");
  return out;
}

struct Decision {
  std::string id;
  std::string decision;  // empty: the rules decided nothing
  std::string grade;
  std::int64_t score = 0;
  std::vector<std::string> reasons;
  std::string error;  // a failed Assert or Run, or not exactly one decision
};

// One decision, as a decision service makes it for one request.
Decision Decide(const syllo::Program& program, const Applicant& a) {
  Decision d;
  d.id = a.id;
  syllo::Session session(program);
  if (syllo::Status s = session.Assert("applicant", a.row); !s.ok()) {
    d.error = s.ToString();
    return d;
  }
  auto run = session.Run();
  if (!run.ok()) {
    d.error = run.status().ToString();
    return d;
  }
  // Read in place (Session::ForEachFact), as a service reads its answers.
  std::size_t decisions = 0;
  syllo::Status read = session.ForEachFact("decision", [&](const syllo::FactView& f) {
    ++decisions;
    d.decision = f.text(1);
    d.grade = f.text(2);
    d.score = f.as_int(3);
  });
  if (read.ok()) {
    read = session.ForEachFact("reason", [&](const syllo::FactView& f) { d.reasons.emplace_back(f.text(1)); });
  }
  if (!read.ok()) {
    d.error = read.ToString();
    return d;
  }
  if (decisions != 1) {
    d.error = std::to_string(decisions) + " decisions";
    return d;
  }
  return d;
}

// The bench's canonical form: keys in this order, no spaces, reasons sorted.
std::string Canonical(const Decision& d) {
  nlohmann::ordered_json j;
  j["id"] = d.id;
  j["decision"] = d.decision;
  j["grade"] = d.grade;
  j["score"] = d.score;
  std::vector<std::string> reasons = d.reasons;
  std::sort(reasons.begin(), reasons.end());
  j["reasons"] = reasons;
  return j.dump();
}

// Canonical lines by id; a file's lines may have any key order or spacing.
std::map<std::string, std::string> ReadExpected(const std::string& path) {
  std::ifstream in(path);
  if (!in) Usage("cannot read " + path);
  std::map<std::string, std::string> out;
  for (std::string line; std::getline(in, line);) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    json j = json::parse(line);
    Decision d;
    d.id = j.at("id").get<std::string>();
    d.decision = j.at("decision").get<std::string>();
    d.grade = j.at("grade").get<std::string>();
    d.score = j.at("score").get<std::int64_t>();
    d.reasons = j.at("reasons").get<std::vector<std::string>>();
    out[d.id] = Canonical(d);
  }
  return out;
}

double CpuSeconds() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9;
}

double Round(double x, int digits) {
  const double scale = std::pow(10.0, digits);
  return std::round(x * scale) / scale;
}

int Threads() {
  std::error_code ec;
  int n = 0;
  for (auto it = std::filesystem::directory_iterator("/proc/self/task", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    ++n;
  }
  return n;
}

}  // namespace

int main(int argc, char** argv) {
  const Options opt = ParseArgs(argc, argv);

  const auto t0 = Clock::now();
  auto program = syllo::Program::FromFiles({opt.pack});
  const double setup_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  if (!program.ok()) {
    std::cerr << "decide_bench: " << opt.pack << ":\n" << program.status().message() << "\n";
    return 2;
  }
  const syllo::RelationInfo* applicant = program->FindRelation("applicant");
  if (applicant == nullptr) Usage(opt.pack + " declares no relation 'applicant'");
  for (const char* rel : {"decision", "reason"}) {
    if (program->FindRelation(rel) == nullptr) Usage(opt.pack + " declares no relation '" + rel + "'");
  }

  const std::vector<Applicant> apps = ReadApplicants(opt.input, *applicant);
  const std::size_t n = apps.size();

  // Warm-up: the first round(warmup * n) applicants, cycling.
  const auto warm_n = static_cast<std::size_t>(std::llround(opt.warmup * static_cast<double>(n)));
  for (std::size_t i = 0; i < warm_n; ++i) (void)Decide(*program, apps[i % n]);

  std::vector<double> lat_ns(n * static_cast<std::size_t>(opt.passes));
  std::vector<double> pass_rate;
  std::vector<Decision> last(n);
  const double cpu0 = CpuSeconds();
  const auto wall0 = Clock::now();
  for (int p = 0; p < opt.passes; ++p) {
    const auto ps = Clock::now();
    for (std::size_t i = 0; i < n; ++i) {
      const auto s = Clock::now();
      Decision d = Decide(*program, apps[i]);
      lat_ns[static_cast<std::size_t>(p) * n + i] = std::chrono::duration<double, std::nano>(Clock::now() - s).count();
      if (p == opt.passes - 1) last[i] = std::move(d);
    }
    pass_rate.push_back(static_cast<double>(n) / std::chrono::duration<double>(Clock::now() - ps).count());
  }
  const double wall_s = std::chrono::duration<double>(Clock::now() - wall0).count();
  const double cpu_s = CpuSeconds() - cpu0;

  std::size_t errors = 0;
  for (const Decision& d : last) {
    if (!d.error.empty()) {
      if (errors < 5) std::cerr << "decide_bench: " << d.id << ": " << d.error << "\n";
      ++errors;
    }
  }

  std::optional<std::size_t> mismatches;
  if (!opt.expected.empty()) {
    const std::map<std::string, std::string> expected = ReadExpected(opt.expected);
    std::size_t diff = 0, matched = 0;
    for (const Decision& d : last) {
      auto it = expected.find(d.id);
      const std::string got = Canonical(d);
      if (it == expected.end() || it->second != got) {
        if (diff < 5) {
          std::cerr << "decide_bench: " << d.id << "\n  expected "
                    << (it == expected.end() ? "(none)" : it->second) << "\n  actual   " << got << "\n";
        }
        ++diff;
      }
      if (it != expected.end()) ++matched;
    }
    mismatches = diff + (expected.size() - matched);  // expected ones nobody decided
  }

  if (!opt.out.empty()) {
    std::ofstream out(opt.out);
    for (const Decision& d : last) out << Canonical(d) << "\n";
    if (!out) {
      std::cerr << "decide_bench: cannot write " << opt.out << "\n";
      return 2;
    }
  }

  std::sort(lat_ns.begin(), lat_ns.end());
  auto pct = [&](double q) {
    const auto i = std::min(lat_ns.size() - 1, static_cast<std::size_t>(std::floor(q * static_cast<double>(lat_ns.size()))));
    return lat_ns[i] / 1000.0;
  };
  std::vector<double> sorted = pass_rate;
  std::sort(sorted.begin(), sorted.end());
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);

  nlohmann::ordered_json r;
  r["engine"] = "syllo";
  r["pack"] = opt.pack;
  r["packVersion"] = program->version();
  r["n"] = n;
  r["warmupPasses"] = opt.warmup;
  r["passes"] = opt.passes;
  r["setupMs"] = Round(setup_ms, 1);
  r["decisionsPerSec"] = Round(sorted[(sorted.size() - 1) / 2], 0);
  r["decisionsPerSecMin"] = Round(sorted.front(), 0);
  r["decisionsPerSecMax"] = Round(sorted.back(), 0);
  r["p50us"] = Round(pct(0.5), 2);
  r["p99us"] = Round(pct(0.99), 2);
  r["p999us"] = Round(pct(0.999), 2);
  r["maxus"] = Round(lat_ns.back() / 1000.0, 1);
  r["decisionsPerCpuSec"] = Round(static_cast<double>(n) * opt.passes / cpu_s, 0);
  r["cpuPerWall"] = Round(cpu_s / wall_s, 2);
  r["maxRssMiB"] = Round(static_cast<double>(ru.ru_maxrss) / 1024.0, 1);  // ru_maxrss is in KiB on Linux
  r["threads"] = Threads();
  r["errors"] = errors;
  if (mismatches) r["mismatches"] = *mismatches;
  else r["mismatches"] = nullptr;
  std::cout << r.dump() << std::endl;
  return errors > 0 || (mismatches && *mismatches > 0) ? 1 : 0;
}
