-- Car won't start: car.syl written as a Lua pack.
--
-- The same consultation as car.syl -- the same relations, questions, rules and
-- certainty factors -- but declared from Lua: the questions and the reference
-- data are Lua tables, the intermediate findings are rules built from tables,
-- the battery's age bands are a Lua predicate, and the report of a likely fault
-- is a Lua action that also lists what to do about it.
--
--   syllo repl packs/car_diagnosis/car.lua
--   :consult diagnosis(my_car, F)

syllo.pragma("semantics", "mycin")
syllo.pragma("threshold", 0.2)

local rule = syllo.rule

-- ---- What we know about a car ---------------------------------------------

syllo.relation("car(id: symbol, make: symbol, year: int)")
syllo.relation("fault(name: symbol, system: symbol, description: string)")
syllo.relation("remedy(fault: symbol, step: int, action: string)")

-- ---- What the driver can tell us -------------------------------------------

-- Yes/no questions: the relation, about one car, and what the driver is asked.
local yes_no_questions = {
  {"cranks", "When you turn the key, does the engine of {C} crank (turn over)?"},
  {"clicks", "Do you hear a rapid clicking from {C} when you turn the key?"},
  {"lights_dim", "Are the headlights of {C} dim or dead?"},
  {"dash_dead", "Does the dashboard of {C} stay dark with the key at ON?"},
  {"terminals_corroded", "Are the battery terminals of {C} white or green with corrosion?"},
  {"smells_fuel", "Is there a strong smell of fuel around {C}?"},
  {"pump_hums", "With the key at ON, do you hear the fuel pump of {C} hum for a second or two?"},
  {"catches_then_dies", "Does the engine of {C} catch briefly and then die?"},
  {"security_light_flashing", "Is the security (immobiliser) light of {C} flashing?"},
  {"engine_wet", "Has the engine bay of {C} been soaked (heavy rain, washing, a flood)?"},
  {"cranks_slowly", "Does the engine of {C} crank slowly, as if struggling?"},
  {"starter_whines", "Do you hear the starter of {C} spin or whine without turning the engine?"},
  {"recent_fill_up", "Was {C} filled up just before the trouble started?"},
}
for _, q in ipairs(yes_no_questions) do
  local name, question = q[1], q[2]
  syllo.relation(name .. "(car: symbol)")
  syllo.ask(name .. "(C)", question)  -- no kind: yes_no
end

-- The questions that want a number or a choice.
syllo.relation("battery_age(car: symbol, years: int)")
syllo.relation("outside_temp(car: symbol, celsius: int)")
syllo.relation("fuel_gauge(car: symbol, level: symbol)")
syllo.relation("belt_km(car: symbol, km: int)")
syllo.ask("battery_age(C, Y)", "How old is the battery of {C}, in years?", {number = {0, 30}})
syllo.ask("outside_temp(C, T)", "What is the outside temperature where {C} is, in degrees Celsius?",
          {number = {-60, 60}})
syllo.ask("fuel_gauge(C, L)", "What does the fuel gauge of {C} show?", {one_of = {"empty", "low", "half", "full"}})
syllo.ask("belt_km(C, K)", "How many kilometres since the timing belt of {C} was replaced?",
          {number = {0, 1000000}})

-- ---- Intermediate findings ------------------------------------------------------

for _, name in ipairs{"electrical_weak", "no_power", "cold_weather", "old_battery", "fuel_starved",
                      "no_spark_likely", "mechanical_risk"} do
  syllo.relation(name .. "(car: symbol)")
end

-- Every finding is about a car we know of: the first condition of each rule.
local a_car = {"car", "C", "_", "_"}

-- Weak electrics: each symptom, and how strongly it points there.
for _, symptom in ipairs{ {"lights_dim", 0.7}, {"cranks_slowly", 0.6}, {"clicks", 0.5} } do
  rule{head = "electrical_weak(C)", cf = symptom[2], body = {a_car, {symptom[1], "C"}}}
end
rule{head = "no_power(C)", cf = 0.9, body = {a_car, {"dash_dead", "C"}, {"lights_dim", "C"}}}
rule{head = "cold_weather(C)", body = {a_car, {"outside_temp", "C", "T"}, "T < -5"}}

-- An old battery: the age bands, oldest first, with the certainty each gives.
-- battery_band(Years, Band) holds for the first band the age reaches, so a
-- battery of 5 years or more is `worn` (0.8), of 3 or 4 years `aging` (0.4),
-- and a younger one is in no band.
local battery_bands = {
  {band = "worn", from_years = 5, cf = 0.8},
  {band = "aging", from_years = 3, cf = 0.4},
}
syllo.predicate("battery_band(years: int) -> (band: symbol)", function(years)
  for _, b in ipairs(battery_bands) do
    if years >= b.from_years then return {b.band} end
  end
  return nil  -- no band: too young to count as old
end)
for _, b in ipairs(battery_bands) do
  rule{head = "old_battery(C)", cf = b.cf,
       body = {a_car, {"battery_age", "C", "Y"}, {"battery_band", "Y", b.band}}}
end

rule{head = "fuel_starved(C)", cf = 0.9, body = {a_car, {"fuel_gauge", "C", "empty"}}}
rule{head = "fuel_starved(C)", cf = 0.3, body = {a_car, {"fuel_gauge", "C", "low"}, {"cold_weather", "C"}}}
rule{head = "fuel_starved(C)", cf = 0.6, body = {a_car, {"cranks", "C"}, "not pump_hums(C)"}}
rule{head = "no_spark_likely(C)", cf = 0.6, body = {a_car, {"cranks", "C"}, {"engine_wet", "C"}}}
rule{head = "no_spark_likely(C)", cf = 0.4,
     body = {a_car, {"cranks", "C"}, {"smells_fuel", "C"}, "not catches_then_dies(C)"}}
rule{head = "mechanical_risk(C)", cf = 0.7, body = {a_car, {"cranks", "C"}, {"belt_km", "C", "K"}, "K > 100000"}}

-- ---- Diagnoses ---------------------------------------------------------------------

syllo.relation("diagnosis(car: symbol, fault: symbol)")

-- Battery
rule "diagnosis(C, dead_battery) cf 0.8 :- car(C, _, _), not cranks(C), electrical_weak(C)."
rule "diagnosis(C, dead_battery) cf 0.6 :- car(C, _, _), not cranks(C), old_battery(C)."
rule "diagnosis(C, dead_battery) cf 0.5 :- car(C, _, _), not cranks(C), cold_weather(C), old_battery(C)."
rule "diagnosis(C, dead_battery) cf 0.9 :- car(C, _, _), no_power(C)."
rule "diagnosis(C, dead_battery) cf -0.6 :- car(C, _, _), not lights_dim(C), not cranks_slowly(C), not clicks(C)."

-- Connections
rule "diagnosis(C, corroded_terminals) cf 0.7 :- car(C, _, _), terminals_corroded(C), electrical_weak(C)."
rule "diagnosis(C, corroded_terminals) cf 0.4 :- car(C, _, _), terminals_corroded(C), not cranks(C)."

-- Starter
rule "diagnosis(C, starter_motor) cf 0.7 :- car(C, _, _), not cranks(C), not lights_dim(C), clicks(C)."
rule [[diagnosis(C, starter_motor) cf 0.6 :-
         car(C, _, _), not cranks(C), not lights_dim(C), not clicks(C), not dash_dead(C).]]
rule "diagnosis(C, starter_drive) cf 0.8 :- car(C, _, _), not cranks(C), starter_whines(C)."

-- Fuel
rule "diagnosis(C, out_of_fuel) cf 0.9 :- car(C, _, _), cranks(C), fuel_gauge(C, empty)."
rule [[diagnosis(C, fuel_pump) cf 0.7 :-
         car(C, _, _), cranks(C), not pump_hums(C), fuel_gauge(C, L), L in {low, half, full}.]]
rule "diagnosis(C, fuel_pump) cf 0.3 :- car(C, _, _), fuel_starved(C), not fuel_gauge(C, empty)."
rule "diagnosis(C, flooded_engine) cf 0.7 :- car(C, _, _), cranks(C), smells_fuel(C)."
rule "diagnosis(C, flooded_engine) cf 0.3 :- car(C, _, _), cranks(C), catches_then_dies(C), cold_weather(C)."
rule "diagnosis(C, bad_fuel) cf 0.6 :- car(C, _, _), cranks(C), recent_fill_up(C), catches_then_dies(C)."
rule "diagnosis(C, frozen_fuel_line) cf 0.5 :- car(C, _, _), cranks(C), cold_weather(C), fuel_starved(C)."

-- Ignition and security
rule "diagnosis(C, wet_ignition) cf 0.7 :- car(C, _, _), no_spark_likely(C), engine_wet(C)."
rule "diagnosis(C, ignition_fault) cf 0.5 :- car(C, _, _), no_spark_likely(C), not engine_wet(C)."
rule "diagnosis(C, immobiliser) cf 0.8 :- car(C, _, _), security_light_flashing(C), catches_then_dies(C)."
rule "diagnosis(C, immobiliser) cf 0.6 :- car(C, _, _), security_light_flashing(C), not cranks(C), not lights_dim(C)."

-- Mechanical
rule [[diagnosis(C, timing_belt) cf 0.6 :-
         car(C, _, _), mechanical_risk(C), not catches_then_dies(C), not smells_fuel(C).]]
rule "diagnosis(C, timing_belt) cf -0.5 :- car(C, _, _), belt_km(C, K), K < 60000."

-- ---- What to do -------------------------------------------------------------------

syllo.relation("advice(car: symbol, fault: symbol, step: int, action: string)")
syllo.relation("likely(car: symbol, fault: symbol)")

rule "advice(C, F, N, A) :- diagnosis(C, F) @ Cf, Cf >= 0.5, remedy(F, N, A)."
rule "likely(C, F) :- diagnosis(C, F) @ Cf, Cf >= 0.5."

syllo.relation("fault_count(car: symbol, n: int)")
rule "fault_count(C, N) :- car(C, _, _), N = count(likely(C, _F))."

-- ---- Reference data -----------------------------------------------------------------

-- Each fault: its system, what it is, and the remedies in the order to try them.
local faults = {
  {"dead_battery", "electrical", "The battery cannot deliver the current the starter needs.",
   remedies = {"Jump-start from another car or a booster pack.",
               "Have the battery load-tested; replace it if it fails."}},
  {"corroded_terminals", "electrical", "Corrosion on the battery terminals blocks the current.",
   remedies = {"Disconnect, clean the terminals with baking soda and water, reconnect tightly."}},
  {"starter_motor", "starting", "The starter motor or its solenoid has failed.",
   remedies = {"Tap the starter lightly while a helper turns the key; if it starts, replace the starter soon.",
               "Check the starter relay and its fuse."}},
  {"starter_drive", "starting", "The starter spins but its pinion does not engage the flywheel.",
   remedies = {"Replace the starter drive (bendix) or the starter."}},
  {"out_of_fuel", "fuel", "The tank is empty.",
   remedies = {"Add at least 5 litres of fuel, then crank in short bursts."}},
  {"fuel_pump", "fuel", "The fuel pump does not deliver fuel.",
   remedies = {"Check the fuel pump fuse and relay.",
               "Have the fuel pressure measured; replace the pump if it is low."}},
  {"flooded_engine", "fuel", "Too much fuel in the cylinders to ignite.",
   remedies = {"Hold the accelerator to the floor and crank for five seconds to clear the cylinders."}},
  {"bad_fuel", "fuel", "Contaminated or wrong fuel from the last fill-up.",
   remedies = {"Do not keep cranking: have the tank drained and refilled."}},
  {"frozen_fuel_line", "fuel", "Water in the fuel line has frozen.",
   remedies = {"Move the car somewhere warm or add fuel-line antifreeze."}},
  {"wet_ignition", "ignition", "Moisture in the ignition system stops the spark.",
   remedies = {"Dry the ignition leads and distributor cap; spray a water repellent."}},
  {"ignition_fault", "ignition", "Coil, plugs or leads fail to make a spark.",
   remedies = {"Check the plugs, leads and coil for spark."}},
  {"immobiliser", "security", "The immobiliser does not recognise the key.",
   remedies = {"Try the spare key; hold the key at ON for ten minutes to reset the immobiliser."}},
  {"timing_belt", "mechanical", "The timing belt has slipped or snapped.",
   remedies = {"Stop cranking to avoid engine damage and have the car towed to a garage."}},
}
local fault_rows, remedy_rows = {}, {}
for _, f in ipairs(faults) do
  fault_rows[#fault_rows + 1] = {f[1], f[2], f[3]}
  for step, action in ipairs(f.remedies) do
    remedy_rows[#remedy_rows + 1] = {f[1], step, action}
  end
end
syllo.facts("fault", fault_rows)
syllo.facts("remedy", remedy_rows)

-- A car to consult about.
syllo.fact("car", "my_car", "hatchback", 2012)

-- Production rules: report once the diagnosis is run forward over known answers.
-- A likely fault is reported as car.syl reports it, followed by its remedies.
syllo.production{
  name = "report_likely", salience = 10,
  when = "likely(C, F), fault(F, S, D)",
  ["then"] = function(s, v)
    s:print(string.format("%s: likely %s (%s): %s", v.C, v.F, v.S, v.D))
    local steps = s:query("remedy", {v.F})
    table.sort(steps, function(a, b) return a[2] < b[2] end)
    for _, r in ipairs(steps) do
      s:print(string.format("  %d. %s", r[2], r[3]))
    end
  end,
}

syllo.production [[rule report_none
  when car(C, _, _), fault_count(C, 0)
  then print("{C}: no fault is likely from what is known; answer more questions with :consult").]]

syllo.query("diagnosis(my_car, Fault)")
