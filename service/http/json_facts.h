// JSON in and out of the decision service: facts given as JSON (relation ->
// rows, a row an object by column name or an array by position), checked
// against the pack's declarations with errors that name the field
// (`facts.applicant[3].age: expected an int, got a string`); and facts,
// values, solutions and explanations as JSON.
//
// Thread safety: reentrant.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "syllo/explanation.h"
#include "syllo/program.h"
#include "syllo/session.h"
#include "syllo/status.h"
#include "syllo/value.h"

namespace syllo::service {

// A row's key for its certainty, next to the columns ("$cf": 0.8).
inline constexpr const char* kCertaintyKey = "$cf";

// Reads `facts` (at JSON path `where`, e.g. "facts"). Every error is
// kInvalidArgument naming the field; an unknown relation too.
Result<std::vector<Fact>> ReadFacts(const Program& program, const nlohmann::json& facts, const std::string& where);

nlohmann::json ValueToJson(const Value& v);
// {"values": {column: value}, "certainty": cf}
nlohmann::json FactToJson(const RelationInfo& relation, const Fact& fact);
nlohmann::json ExplanationToJson(const Explanation& e);
nlohmann::json SolutionToJson(const Solution& s);
nlohmann::json QuestionToJson(const Question& q);
nlohmann::json RelationToJson(const RelationInfo& r);

}  // namespace syllo::service
