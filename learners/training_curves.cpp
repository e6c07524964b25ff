// Training curves as CSV and as a hand-written SVG: two panels side by side
// (loss, accuracy) against the epoch, train solid and validation dashed. No
// script, no external stylesheet or font: the file opens anywhere.
#include "learners/training_curves.h"

#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

namespace syllo::learners {

namespace {

// Shortest spelling that reads back to the same double.
std::string Num(double v) {
  if (!std::isfinite(v)) return std::isnan(v) ? "nan" : (v > 0 ? "inf" : "-inf");
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, ec == std::errc() ? end : buf);
}

// A coordinate in the SVG: two decimals are plenty.
std::string Px(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  return buf;
}

std::string EscapeXml(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default:
        // Control characters are not allowed in XML 1.0 (tab and newline are).
        if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n') break;
        out += c;
    }
  }
  return out;
}

// A tick label: few digits, no trailing zeros.
std::string TickLabel(double v, double step) {
  int decimals = 0;
  while (decimals < 6 && std::fabs(step * std::pow(10.0, decimals) - std::round(step * std::pow(10.0, decimals))) > 1e-6) {
    ++decimals;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, std::fabs(v) < step * 1e-9 ? 0.0 : v);
  return buf;
}

// 1, 2 or 5 times a power of ten, at least `raw`.
double NiceStep(double raw) {
  if (!(raw > 0)) return 1;
  const double power = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    if (m * power >= raw * (1 - 1e-9)) return m * power;
  }
  return 10 * power;
}

struct Axis {
  double lo = 0, hi = 1, step = 0.2;
};

// Bounds rounded out to whole ticks, about `ticks` of them.
Axis NiceAxis(double lo, double hi, int ticks) {
  if (!(hi > lo)) {
    const double pad = lo == 0 ? 1 : std::fabs(lo) * 0.1;
    lo -= pad;
    hi += pad;
  }
  Axis a;
  a.step = NiceStep((hi - lo) / ticks);
  a.lo = std::floor(lo / a.step + 1e-9) * a.step;
  a.hi = std::ceil(hi / a.step - 1e-9) * a.step;
  return a;
}

struct Series {
  std::string name;
  std::string color;
  bool dashed = false;
  std::vector<std::pair<double, double>> points;  // (epoch, value), finite only
};

constexpr double kWidth = 960, kHeight = 420;
constexpr double kPanelWidth = 390, kPanelHeight = 290;  // 70 + 390 + 90 + 390 + 20 = kWidth
constexpr double kPanelTop = 80;
constexpr double kPanelLeft[2] = {70, 550};
constexpr const char* kTrainColor = "#1f77b4";
constexpr const char* kValidationColor = "#d62728";

// One panel: frame, grid and ticks, axis titles, its series.
void DrawPanel(std::string& svg, double left, const std::string& title, const std::string& y_title,
               const std::vector<Series>& series, const Axis& x, const Axis& y) {
  const double top = kPanelTop, right = left + kPanelWidth, bottom = top + kPanelHeight;
  auto sx = [&](double v) { return left + (v - x.lo) / (x.hi - x.lo) * kPanelWidth; };
  auto sy = [&](double v) { return bottom - (v - y.lo) / (y.hi - y.lo) * kPanelHeight; };

  svg += "<g class=\"panel\">\n";
  svg += "<text class=\"panel-title\" x=\"" + Px(left + kPanelWidth / 2) + "\" y=\"" + Px(top - 12) +
         "\" text-anchor=\"middle\" font-size=\"15\" font-weight=\"bold\">" + EscapeXml(title) + "</text>\n";
  // Grid lines and tick labels.
  for (int k = 0;; ++k) {
    const double v = y.lo + k * y.step;
    if (v > y.hi + y.step * 1e-6) break;
    svg += "<line x1=\"" + Px(left) + "\" y1=\"" + Px(sy(v)) + "\" x2=\"" + Px(right) + "\" y2=\"" + Px(sy(v)) +
           "\" stroke=\"#e5e5e5\"/>\n";
    svg += "<text x=\"" + Px(left - 6) + "\" y=\"" + Px(sy(v) + 4) + "\" text-anchor=\"end\" font-size=\"11\">" +
           TickLabel(v, y.step) + "</text>\n";
  }
  for (int k = 0;; ++k) {
    const double v = x.lo + k * x.step;
    if (v > x.hi + x.step * 1e-6) break;
    if (v < 1 - 1e-9) continue;  // epochs count from 1: no tick at 0 for a lone first epoch
    svg += "<line x1=\"" + Px(sx(v)) + "\" y1=\"" + Px(bottom) + "\" x2=\"" + Px(sx(v)) + "\" y2=\"" +
           Px(bottom + 5) + "\" stroke=\"#333\"/>\n";
    svg += "<text x=\"" + Px(sx(v)) + "\" y=\"" + Px(bottom + 18) + "\" text-anchor=\"middle\" font-size=\"11\">" +
           TickLabel(v, x.step) + "</text>\n";
  }
  // Axes.
  svg += "<rect x=\"" + Px(left) + "\" y=\"" + Px(top) + "\" width=\"" + Px(kPanelWidth) + "\" height=\"" +
         Px(kPanelHeight) + "\" fill=\"none\" stroke=\"#333\"/>\n";
  svg += "<text x=\"" + Px(left + kPanelWidth / 2) + "\" y=\"" + Px(bottom + 38) +
         "\" text-anchor=\"middle\" font-size=\"12\">epoch</text>\n";
  svg += "<text x=\"" + Px(left - 48) + "\" y=\"" + Px(top + kPanelHeight / 2) +
         "\" text-anchor=\"middle\" font-size=\"12\" transform=\"rotate(-90 " + Px(left - 48) + " " +
         Px(top + kPanelHeight / 2) + ")\">" + EscapeXml(y_title) + "</text>\n";
  // Series: a line, and a dot on each epoch (a single epoch is then still seen).
  for (const Series& s : series) {
    if (s.points.empty()) continue;
    std::string points;
    for (const auto& [ex, ey] : s.points) points += (points.empty() ? "" : " ") + Px(sx(ex)) + "," + Px(sy(ey));
    svg += "<polyline class=\"series\" data-series=\"" + EscapeXml(s.name) + "\" points=\"" + points +
           "\" fill=\"none\" stroke=\"" + s.color + "\" stroke-width=\"2\"" +
           (s.dashed ? " stroke-dasharray=\"6 4\"" : "") + "/>\n";
    for (const auto& [ex, ey] : s.points) {
      svg += "<circle cx=\"" + Px(sx(ex)) + "\" cy=\"" + Px(sy(ey)) + "\" r=\"2.5\" fill=\"" + s.color + "\"/>\n";
    }
  }
  svg += "</g>\n";
}

// Both panels' y axes from their own series: loss from 0, accuracy within [0, 1]
// when it is a fraction.
Axis ValueAxis(const std::vector<Series>& series, bool from_zero, bool fraction) {
  double lo = INFINITY, hi = -INFINITY;
  for (const Series& s : series) {
    for (const auto& p : s.points) {
      lo = std::min(lo, p.second);
      hi = std::max(hi, p.second);
    }
  }
  if (!std::isfinite(lo)) return Axis{0, 1, 0.2};
  if (from_zero) lo = std::min(lo, 0.0);
  Axis a = NiceAxis(lo, hi, 5);
  if (fraction && lo >= 0 && hi <= 1) {
    a.lo = std::max(a.lo, 0.0);
    a.hi = std::min(a.hi, 1.0);
    if (a.hi <= a.lo) a = Axis{0, 1, 0.2};
  }
  return a;
}

Status WriteAtomically(const std::string& path, const std::string& text) {
  const std::string temp = path + ".tmp" + std::to_string(getpid());
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    if (!out) return Status::IoError(path + ": cannot be written");
    out << text;
    out.flush();
    if (!out) {
      std::error_code ec;
      std::filesystem::remove(temp, ec);
      return Status::IoError(path + ": writing failed");
    }
  }
  std::error_code ec;
  std::filesystem::rename(temp, path, ec);
  if (ec) {
    std::error_code ignored;
    std::filesystem::remove(temp, ignored);
    return Status::IoError(path + ": " + ec.message());
  }
  return Status::Ok();
}

}  // namespace

std::string CurvesCsv(std::span<const engine::EpochMetrics> epochs) {
  std::string csv = "epoch,train_loss,train_accuracy,validation_loss,validation_accuracy,seconds,learning_rate\n";
  for (const engine::EpochMetrics& m : epochs) {
    csv += std::to_string(m.epoch) + "," + Num(m.train_loss) + "," + Num(m.train_accuracy) + "," +
           Num(m.validation_loss) + "," + Num(m.validation_accuracy) + "," + Num(m.seconds) + "," +
           Num(m.learning_rate) + "\n";
  }
  return csv;
}

std::string CurvesSvg(std::span<const engine::EpochMetrics> epochs, const std::string& title) {
  // Without validation data the module reports zeros: no validation series then.
  const bool has_validation = std::any_of(epochs.begin(), epochs.end(), [](const engine::EpochMetrics& m) {
    return m.validation_loss != 0 || m.validation_accuracy != 0;
  });
  auto series_of = [&](const char* name, const char* color, bool dashed,
                       const std::function<double(const engine::EpochMetrics&)>& value) {
    Series s{name, color, dashed, {}};
    for (const engine::EpochMetrics& m : epochs) {
      const double v = value(m);
      if (std::isfinite(v)) s.points.emplace_back(static_cast<double>(m.epoch), v);
    }
    return s;
  };
  std::vector<Series> loss = {series_of("train", kTrainColor, false, [](auto& m) { return m.train_loss; })};
  std::vector<Series> accuracy = {series_of("train", kTrainColor, false, [](auto& m) { return m.train_accuracy; })};
  if (has_validation) {
    loss.push_back(series_of("validation", kValidationColor, true, [](auto& m) { return m.validation_loss; }));
    accuracy.push_back(
        series_of("validation", kValidationColor, true, [](auto& m) { return m.validation_accuracy; }));
  }

  // The epoch axis: whole epochs, first to last; a single epoch sits in the middle.
  std::int64_t first = epochs.empty() ? 1 : epochs.front().epoch, last = first;
  for (const engine::EpochMetrics& m : epochs) {
    first = std::min(first, m.epoch);
    last = std::max(last, m.epoch);
  }
  Axis x;
  if (last <= first) {
    x = Axis{static_cast<double>(first) - 1, static_cast<double>(first) + 1, 1};
  } else {
    x.step = std::max(1.0, NiceStep(static_cast<double>(last - first) / 8));
    x.lo = static_cast<double>(first);
    x.hi = static_cast<double>(last);  // ticks stop at the last whole step before it
  }

  std::string svg;
  svg += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + Px(kWidth) + "\" height=\"" + Px(kHeight) +
         "\" viewBox=\"0 0 " + Px(kWidth) + " " + Px(kHeight) + "\" font-family=\"sans-serif\">\n";
  svg += "<title>" + EscapeXml(title) + "</title>\n";
  svg += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  svg += "<text x=\"" + Px(kWidth / 2) + "\" y=\"28\" text-anchor=\"middle\" font-size=\"18\" font-weight=\"bold\">" +
         EscapeXml(title) + "</text>\n";
  // Legend, under the title.
  {
    double lx = kWidth / 2 - (has_validation ? 110 : 40);
    const double ly = 50;
    auto entry = [&](const char* name, const char* color, bool dashed) {
      svg += "<line x1=\"" + Px(lx) + "\" y1=\"" + Px(ly) + "\" x2=\"" + Px(lx + 28) + "\" y2=\"" + Px(ly) +
             "\" stroke=\"" + color + "\" stroke-width=\"2\"" + (dashed ? " stroke-dasharray=\"6 4\"" : "") + "/>\n";
      svg += "<text x=\"" + Px(lx + 34) + "\" y=\"" + Px(ly + 4) + "\" font-size=\"12\">" + name + "</text>\n";
      lx += 120;
    };
    svg += "<g class=\"legend\">\n";
    entry("train", kTrainColor, false);
    if (has_validation) entry("validation", kValidationColor, true);
    svg += "</g>\n";
  }
  DrawPanel(svg, kPanelLeft[0], "Loss", "loss", loss, x, ValueAxis(loss, true, false));
  DrawPanel(svg, kPanelLeft[1], "Accuracy", "accuracy", accuracy, x, ValueAxis(accuracy, false, true));
  if (epochs.empty()) {
    svg += "<text x=\"" + Px(kWidth / 2) + "\" y=\"" + Px(kPanelTop + kPanelHeight / 2) +
           "\" text-anchor=\"middle\" font-size=\"14\" fill=\"#888\">no epochs</text>\n";
  }
  svg += "</svg>\n";
  return svg;
}

Status WriteCurves(const std::string& path_stem, std::span<const engine::EpochMetrics> epochs,
                   const std::string& title) {
  if (Status s = WriteAtomically(path_stem + ".csv", CurvesCsv(epochs)); !s.ok()) return s;
  return WriteAtomically(path_stem + ".svg", CurvesSvg(epochs, title));
}

}  // namespace syllo::learners
