// Tensors as text: nested arrays of numbers in row-major order, e.g. a
// tensor[2,3] is [[1,2,3],[4,5,6]]. The same spelling serves CSV cells and JSON
// lines. Elements are float32; they are written in the shortest form that reads
// back to the same float.
//
// Thread safety: pure functions (tensors are interned in the locked TensorPool).
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include "engine/column_type.h"
#include "syllo/status.h"

namespace syllo::kb {

// REQUIRES: type.kind is kTensor.
Result<engine::Value> ParseTensorText(const engine::ColumnType& type, std::string_view text);
Result<engine::Value> ParseTensorJson(const engine::ColumnType& type, const nlohmann::json& j);
std::string FormatTensorText(const engine::ColumnType& type, engine::Value v);

}  // namespace syllo::kb
