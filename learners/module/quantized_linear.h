// Dynamic int8 quantisation of a linear layer, through LibTorch's quantised
// engines (this Debian build has QNNPACK and ONEDNN, no FBGEMM): the weight is
// quantised once to qint8 per output channel and packed by the engine
// (quantized::linear_prepack); at run time each input batch is quantised to
// uint8 with its own range and multiplied in int8 (linear_dynamic), the output
// is float.
//
// Thread safety: Forward may run on several threads at once (ONEDNN's dynamic
// linear only reads the packed weight; QNNPACK's locks its own mutex).
#pragma once

#include <string>

#include <ATen/core/Tensor.h>
#include <ATen/native/quantized/PackedParams.h>
#include <c10/util/intrusive_ptr.h>

#include "syllo/status.h"

namespace syllo::learners {

// Selects the process's quantised engine (ONEDNN if supported, else QNNPACK)
// and returns its name; NotFound when this LibTorch has none. Idempotent.
Result<std::string> SelectQuantizedEngine();

// The names of the quantised engines this LibTorch supports ("qnnpack onednn").
std::string SupportedQuantizedEngines();

class QuantizedLinear {
 public:
  // weight {out, in}, bias {out} (float). REQUIRES: SelectQuantizedEngine().ok()
  QuantizedLinear(const at::Tensor& weight, const at::Tensor& bias);

  // x {batch, in} float -> {batch, out} float.
  at::Tensor Forward(const at::Tensor& x) const { return packed_->apply_dynamic(x, /*reduce_range=*/false); }

  // The packed weight unpacked: qint8 (what the tests of the module check).
  at::Tensor QuantizedWeight() const;

 private:
  c10::intrusive_ptr<LinearPackedParamsBase> packed_;
};

}  // namespace syllo::learners
