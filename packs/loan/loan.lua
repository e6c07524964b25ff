-- Loan-application decision: a Syllo Lua pack.
--
-- Each `applicant` fact (loaded into a knowledge base with `syllo kb import`,
-- see README.md) gets one decision(Id, Decision, Grade, Score) and a
-- reason(Id, Code) for every knock-out and referral rule that fires. The
-- decision is the one of shared/bench/decision/README.md:
--
--   derived values  dti, lti, age_at_maturity          logical rules, table form
--   scorecard       points(Id, Factor, P), 5 factors   logical rules over the Lua predicate band/3
--   score, grade    score(Id, S), grade(Id, G)         a sum aggregate; rules made from a Lua table
--   knock-outs      knockout(Id, Code), 10 rules       rule text from a Lua table
--   referrals       referral(Id, Code), 10 rules       rule text from a Lua table
--   decision        decline, else refer, else approve  logical rules (syllo.source)
--   report          one JSON line per decision         a production rule with a Lua action
--
-- Lua is the tool for what is data rather than logic: the points bands and the
-- country lists live in Lua tables behind predicates, and the rules bind the
-- 14-column applicant by column name, not by position.
--
-- Arithmetic is binary double, as in the reference (JavaScript), operation for
-- operation: the inputs are integers or multiples of 0.5 and no dti lies on a
-- threshold, so every comparison comes out the same.

syllo.pragma("semantics", "boolean") -- a decision table: a fact is true or absent

-- ---- the applicant ------------------------------------------------------------------

-- The bench's JSON fields in snake case (a knowledge base takes lowercase column
-- names only): annualIncome -> annual_income, latePayments12m -> late_payments12m.
local COLUMNS = {
  { "id", "string" },
  { "age", "int" },
  { "annual_income", "int" },
  { "monthly_debt", "int" },
  { "credit_score", "int" },
  { "employment_type", "symbol" }, -- salaried, self_employed, retired, unemployed
  { "employment_years", "float" },
  { "loan_amount", "int" },
  { "term_months", "int" },
  { "purpose", "symbol" }, -- home, car, personal, business, education
  { "country", "string" }, -- ISO 3166 alpha-2 ("DE")
  { "existing_customer", "bool" },
  { "bankruptcies", "int" },
  { "late_payments12m", "int" },
}

do
  local columns = {}
  for i, c in ipairs(COLUMNS) do columns[i] = c[1] .. ": " .. c[2] end
  syllo.relation("applicant(" .. table.concat(columns, ", ") .. ")")
end

-- The variable that stands for a column: annual_income -> AnnualIncome.
local function var(column)
  return (column:gsub("^%l", string.upper):gsub("_(%w)", string.upper))
end

local COLUMN_OF = {} -- AnnualIncome -> "annual_income"
for _, c in ipairs(COLUMNS) do COLUMN_OF[var(c[1])] = c[1] end

-- An applicant condition in table form. Listed columns are bound to their
-- variables, named ones to a term (a number or boolean is a constant, a string is
-- rule text), the others are `_`:
--   applicant{"id", employment_type = "retired"}
--     --> {"applicant", "Id", "_", "_", "_", "_", "retired", "_", ...}
local function applicant(spec)
  local terms = {}
  for _, column in ipairs(spec) do terms[column] = var(column) end
  for column, term in pairs(spec) do
    if type(column) == "string" then terms[column] = term end
  end
  local literal = { "applicant" }
  for _, c in ipairs(COLUMNS) do
    local term = terms[c[1]]
    literal[#literal + 1] = term == nil and "_" or term
    terms[c[1]] = nil
  end
  local unknown = next(terms)
  if unknown ~= nil then error("applicant has no column '" .. unknown .. "'", 2) end
  return literal
end

-- The applicant condition for rule text that uses column variables (CreditScore,
-- EmploymentType...): binds Id and exactly those, so none is left a singleton.
local function applicant_for(text)
  local spec, seen = { "id" }, { id = true }
  for name in text:gmatch("%u[%w_]*") do
    local column = COLUMN_OF[name]
    if column and not seen[column] then
      seen[column] = true
      spec[#spec + 1] = column
    end
  end
  return applicant(spec)
end

-- A table-form condition as rule text: {"applicant", "Id", "_"} -> applicant(Id, _).
local function text(literal)
  local terms = {}
  for i = 2, #literal do terms[#terms + 1] = tostring(literal[i]) end
  return literal[1] .. "(" .. table.concat(terms, ", ") .. ")"
end

-- ---- derived values ---------------------------------------------------------------------

syllo.relation("dti(id: string, percent: float)")
syllo.relation("lti(id: string, ratio: float)")
syllo.relation("age_at_maturity(id: string, years: float)")

-- dti = (monthlyDebt + loanAmount / termMonths) * 1200 / annualIncome
syllo.rule {
  head = { "dti", "Id", "Dti" },
  body = {
    applicant { "id", "monthly_debt", "loan_amount", "term_months", "annual_income" },
    "Dti = (MonthlyDebt + to_float(LoanAmount) / TermMonths) * 1200 / AnnualIncome",
  },
}
-- lti = loanAmount / annualIncome
syllo.rule {
  head = { "lti", "Id", "Lti" },
  body = { applicant { "id", "loan_amount", "annual_income" }, "Lti = to_float(LoanAmount) / AnnualIncome" },
}
-- ageAtMaturity = age + termMonths / 12
syllo.rule {
  head = { "age_at_maturity", "Id", "Years" },
  body = { applicant { "id", "age", "term_months" }, "Years = Age + to_float(TermMonths) / 12" },
}

-- ---- scorecard --------------------------------------------------------------------------

-- Points bands, the first that holds wins: {">=" or "<=", bound, points}; the
-- last entry is the points when none holds.
local BANDS = {
  credit_score = { { ">=", 760, 40 }, { ">=", 700, 30 }, { ">=", 660, 20 }, { ">=", 620, 10 }, 0 },
  dti = { { "<=", 20, 25 }, { "<=", 35, 15 }, { "<=", 43, 5 }, 0 },
  employment_years = { { ">=", 10, 15 }, { ">=", 5, 10 }, { ">=", 2, 5 }, 0 },
  late_payments12m = { { "<=", 0, 10 }, { "<=", 2, 0 }, -10 },
}

-- band(Table, Value, Points): the points Value earns in the band table named Table.
syllo.predicate("band(table: symbol, value: float) -> (points: int)", function(name, value)
  local bands = BANDS[name]
  if bands == nil then error("no band table '" .. name .. "'") end
  for _, band in ipairs(bands) do
    if type(band) == "number" then return { band } end
    local op, bound, points = band[1], band[2], band[3]
    if (op == ">=" and value >= bound) or (op == "<=" and value <= bound) then return { points } end
  end
end)

syllo.relation("points(id: string, factor: symbol, points: int)")

syllo.rule {
  head = { "points", "Id", "credit", "P" },
  body = { applicant { "id", "credit_score" }, { "band", "credit_score", "CreditScore", "P" } },
}
syllo.rule { head = { "points", "Id", "dti", "P" }, body = { { "dti", "Id", "Dti" }, { "band", "dti", "Dti", "P" } } }
syllo.rule {
  head = { "points", "Id", "employment", "P" },
  body = {
    applicant { "id", "employment_type", "employment_years" },
    "EmploymentType in {salaried, self_employed}",
    { "band", "employment_years", "EmploymentYears", "P" },
  },
}
syllo.rule { head = { "points", "Id", "employment", 5 }, body = { applicant { "id", employment_type = "retired" } } }
syllo.rule { head = { "points", "Id", "employment", 0 }, body = { applicant { "id", employment_type = "unemployed" } } }
syllo.rule { head = { "points", "Id", "relationship", 10 }, body = { applicant { "id", existing_customer = true } } }
syllo.rule { head = { "points", "Id", "relationship", 0 }, body = { applicant { "id", existing_customer = false } } }
syllo.rule {
  head = { "points", "Id", "payment_history", "P" },
  body = { applicant { "id", "late_payments12m" }, { "band", "late_payments12m", "LatePayments12m", "P" } },
}

syllo.relation("score(id: string, score: int)")
syllo.relation("grade(id: string, grade: string)")
-- score(Id, S) :- applicant(Id, _, ..., _), S = sum(P : points(Id, _Factor, P)).
syllo.rule("score(Id, S) :- " .. text(applicant { "id" }) .. ", S = sum(P : points(Id, _Factor, P)).")

-- Risk grades, best first: the grade of a score at least `from` (and below the
-- grade above it).
local GRADES = { { "A", from = 80 }, { "B", from = 60 }, { "C", from = 40 }, { "D", from = 20 }, { "E" } }
for i, g in ipairs(GRADES) do
  local body = { "score(Id, S)" }
  if g.from then body[#body + 1] = "S >= " .. g.from end
  if i > 1 then body[#body + 1] = "S < " .. GRADES[i - 1].from end
  syllo.rule(string.format('grade(Id, "%s") :- %s.', g[1], table.concat(body, ", ")))
end

-- ---- knock-outs and referrals -------------------------------------------------------------

local function set(list)
  local s = {}
  for _, v in ipairs(list) do s[v] = true end
  return s
end
local SANCTIONED = set { "KP", "IR", "SY", "CU" }
local HIGH_RISK = set { "RU", "BY", "VE", "MM", "AF" }

syllo.predicate("sanctioned_country(country: string)", function(country) return SANCTIONED[country] ~= nil end)
syllo.predicate("high_risk_country(country: string)", function(country) return HIGH_RISK[country] ~= nil end)

syllo.relation("knockout(id: string, code: string)")
syllo.relation("referral(id: string, code: string)")
syllo.relation("reason(id: string, code: string)")

-- {code, condition...}: a rule per condition. A condition is rule text over the
-- applicant's column variables (Age, CreditScore...) and Id.
local KNOCKOUTS = {
  { "UNDERAGE", "Age < 18" },
  { "AGE_AT_MATURITY", "age_at_maturity(Id, Years), Years > 80" },
  { "SANCTIONED_COUNTRY", "sanctioned_country(Country)" },
  { "CREDIT_SCORE_BELOW_MIN", "CreditScore < 520" },
  { "MULTIPLE_BANKRUPTCIES", "Bankruptcies >= 2" },
  { "INCOME_BELOW_MIN", "AnnualIncome < 15000" },
  { "DTI_ABOVE_MAX", "dti(Id, Dti), Dti > 60" },
  { "LTI_ABOVE_MAX", "Purpose = home, lti(Id, Lti), Lti > 8", "Purpose != home, lti(Id, Lti), Lti > 4" },
  { "UNEMPLOYED_NEW_CUSTOMER", "EmploymentType = unemployed, ExistingCustomer = false" },
  { "SCORE_GRADE_E", 'grade(Id, "E")' },
}
local REFERRALS = {
  { "DTI_ELEVATED", "dti(Id, Dti), Dti > 43, Dti <= 60" },
  { "CREDIT_SCORE_BORDERLINE", "CreditScore >= 520, CreditScore < 620" },
  { "SHORT_EMPLOYMENT", "EmploymentType = salaried, EmploymentYears < 1" },
  { "NEW_SELF_EMPLOYED", "EmploymentType = self_employed, EmploymentYears < 3" },
  { "LARGE_LOAN_NEW_CUSTOMER", "LoanAmount > 300000, ExistingCustomer = false" },
  { "RECENT_LATE_PAYMENTS", "LatePayments12m >= 3" },
  { "PRIOR_BANKRUPTCY", "Bankruptcies = 1" },
  { "HIGH_RISK_COUNTRY", "high_risk_country(Country)" },
  { "RETIREE_LONG_TERM", "EmploymentType = retired, TermMonths > 120" },
  { "SCORE_GRADE_D", 'grade(Id, "D")' },
}

-- knockout(Id, "UNDERAGE") :- applicant(Id, Age, _, ..., _), Age < 18.
for _, kind in ipairs { { "knockout", KNOCKOUTS }, { "referral", REFERRALS } } do
  local relation, rules = kind[1], kind[2]
  for _, r in ipairs(rules) do
    for i = 2, #r do
      syllo.rule(string.format('%s(Id, "%s") :- %s, %s.', relation, r[1], text(applicant_for(r[i])), r[i]))
    end
  end
end

-- ---- the decision --------------------------------------------------------------------------

syllo.relation("decision(id: string, decision: symbol, grade: string, score: int)")
syllo.source([[
  reason(Id, Code) :- knockout(Id, Code).
  reason(Id, Code) :- referral(Id, Code).

  decision(Id, decline, G, S) :- score(Id, S), grade(Id, G), exists knockout(Id, _).
  decision(Id, refer, G, S)   :- score(Id, S), grade(Id, G), not knockout(Id, _), exists referral(Id, _).
  decision(Id, approve, G, S) :- score(Id, S), grade(Id, G), not knockout(Id, _), not referral(Id, _).
]])

-- ---- the report ----------------------------------------------------------------------------

-- One line per decision in the bench's canonical form (keys in this order, no
-- spaces, reason codes sorted):
--   {"id":"A000002","decision":"refer","grade":"D","score":30,"reasons":["CREDIT_SCORE_BORDERLINE",...]}
local function json_string(s)
  return '"' .. s:gsub('[%c"\\]', function(c) return string.format("\\u%04x", c:byte()) end) .. '"'
end

syllo.production {
  name = "report",
  when = "decision(Id, Decision, Grade, Score)",
  ["then"] = function(s, v)
    local codes = {}
    for _, row in ipairs(s:query("reason", { v.Id })) do codes[#codes + 1] = row[2] end
    table.sort(codes)
    for i, code in ipairs(codes) do codes[i] = json_string(code) end
    s:print(string.format('{"id":%s,"decision":%s,"grade":%s,"score":%d,"reasons":[%s]}', json_string(v.Id),
      json_string(v.Decision), json_string(v.Grade), v.Score, table.concat(codes, ",")))
  end,
}
