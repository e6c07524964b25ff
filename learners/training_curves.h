// Training curves: the per-epoch metrics as CSV, and drawn as an SVG a person
// can open in a browser (loss and accuracy against the epoch, train and
// validation).
#pragma once

#include <span>
#include <string>

#include "engine/neural_backend.h"
#include "syllo/status.h"

namespace syllo::learners {

// epoch,train_loss,train_accuracy,validation_loss,validation_accuracy,seconds,learning_rate
std::string CurvesCsv(std::span<const engine::EpochMetrics> epochs);
// A self-contained SVG: two panels (loss, accuracy), axes with ticks, a legend.
std::string CurvesSvg(std::span<const engine::EpochMetrics> epochs, const std::string& title);
// Writes FILE.csv and FILE.svg (FILE without extension); atomically (temp + rename).
Status WriteCurves(const std::string& path_stem, std::span<const engine::EpochMetrics> epochs,
                   const std::string& title);

}  // namespace syllo::learners
