// Model designs: from a `model` declaration of a program, and to and from the
// JSON kept in the registry (and accepted by `syllo train --design FILE`).
#pragma once

#include <string>
#include <vector>

#include "engine/neural_backend.h"
#include "rules/ast.h"
#include "syllo/status.h"

namespace syllo::learners {

// The design of model `name` as `program` declares it. What the declaration
// leaves out comes from the neural declarations that use the model: the input
// shape from their tensor column (or the count of their numeric inputs) and
// the classes from their labels, which are returned in *labels (in output
// order). An undeclared model, or one no neural declaration lets us size, is
// an error saying what to add.
Result<engine::ModelDesign> DesignFromProgram(const rules::Program& program, const std::string& name,
                                              std::vector<std::string>* labels);

std::string DesignToJson(const engine::ModelDesign& design);
// Unknown keys and values of the wrong type are errors naming the key.
Result<engine::ModelDesign> DesignFromJson(const std::string& json);

// "cnn: input 1x28x28, channels 32,64, kernel 3, hidden 128, 10 classes, adam lr 0.001, batch 64, 5 epochs"
std::string DescribeDesign(const engine::ModelDesign& design);

}  // namespace syllo::learners
