// Training curves: the CSV's exact content, the SVG's structure (both panels,
// one polyline per series, train solid and validation dashed), and the files.
#include "learners/training_curves.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace syllo::learners {
namespace {

::testing::AssertionResult Contains(const std::string& text, const std::string& piece) {
  if (text.find(piece) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "'" << text.substr(0, 300) << "...' does not contain '" << piece << "'";
}

int Count(const std::string& text, const std::string& piece) {
  int n = 0;
  for (std::size_t at = text.find(piece); at != std::string::npos; at = text.find(piece, at + 1)) ++n;
  return n;
}

std::vector<engine::EpochMetrics> ThreeEpochs(bool validation) {
  std::vector<engine::EpochMetrics> e(3);
  for (int i = 0; i < 3; ++i) {
    e[i].epoch = i + 1;
    e[i].train_loss = 1.0 / (i + 1);
    e[i].train_accuracy = 0.5 + 0.1 * i;
    e[i].validation_loss = validation ? 1.2 / (i + 1) : 0;
    e[i].validation_accuracy = validation ? 0.45 + 0.1 * i : 0;
    e[i].seconds = 2.5;
    e[i].learning_rate = 0.001;
  }
  return e;
}

TEST(CurvesCsv, HeaderAndOneRowPerEpoch) {
  const std::string csv = CurvesCsv(ThreeEpochs(true));
  const std::string expected =
      "epoch,train_loss,train_accuracy,validation_loss,validation_accuracy,seconds,learning_rate\n"
      "1,1,0.5,1.2,0.45,2.5,0.001\n"
      "2,0.5,0.6,0.6,0.55,2.5,0.001\n"
      "3,0.3333333333333333,0.7,0.39999999999999997,0.65,2.5,0.001\n";
  EXPECT_EQ(csv, expected);
  EXPECT_EQ(CurvesCsv({}),
            "epoch,train_loss,train_accuracy,validation_loss,validation_accuracy,seconds,learning_rate\n");
}

TEST(CurvesSvg, TwoPanelsAndOnePolylinePerSeries) {
  const std::string svg = CurvesSvg(ThreeEpochs(true), "fashion <cnn> & co");
  EXPECT_EQ(svg.rfind("<svg", 0), 0u);
  EXPECT_TRUE(Contains(svg, "xmlns=\"http://www.w3.org/2000/svg\""));
  EXPECT_TRUE(Contains(svg, "</svg>"));
  EXPECT_TRUE(Contains(svg, ">Loss</text>"));
  EXPECT_TRUE(Contains(svg, ">Accuracy</text>"));
  EXPECT_TRUE(Contains(svg, "fashion &lt;cnn&gt; &amp; co"));
  EXPECT_FALSE(Contains(svg, "<cnn>"));
  EXPECT_EQ(Count(svg, "<polyline"), 4);
  EXPECT_EQ(Count(svg, "<polyline class=\"series\" data-series=\"validation\""), 2);
  // Validation dashed: two polylines and one legend entry.
  EXPECT_EQ(Count(svg, "stroke-dasharray"), 3);
  EXPECT_TRUE(Contains(svg, ">validation</text>"));
  EXPECT_TRUE(Contains(svg, ">epoch</text>"));
  EXPECT_FALSE(Contains(svg, "nan"));
  EXPECT_FALSE(Contains(svg, "inf"));
  // Tags balance, as far as a count tells.
  EXPECT_EQ(Count(svg, "<g"), Count(svg, "</g>"));
  EXPECT_EQ(Count(svg, "<text"), Count(svg, "</text>"));
}

TEST(CurvesSvg, WithoutValidationOnlyTrainSeries) {
  const std::string svg = CurvesSvg(ThreeEpochs(false), "mlp");
  EXPECT_EQ(Count(svg, "<polyline"), 2);
  EXPECT_EQ(Count(svg, "stroke-dasharray"), 0);
  EXPECT_FALSE(Contains(svg, ">validation</text>"));
  EXPECT_TRUE(Contains(svg, ">train</text>"));
}

TEST(CurvesSvg, OneEpochAndNoEpochs) {
  std::vector<engine::EpochMetrics> one = ThreeEpochs(true);
  one.resize(1);
  const std::string svg = CurvesSvg(one, "one");
  EXPECT_EQ(Count(svg, "<polyline"), 4);
  EXPECT_EQ(Count(svg, "<circle"), 4);  // a dot per series, since a one-point line is invisible
  EXPECT_FALSE(Contains(svg, "nan"));
  EXPECT_FALSE(Contains(svg, "inf"));

  const std::string empty = CurvesSvg({}, "none");
  EXPECT_EQ(empty.rfind("<svg", 0), 0u);
  EXPECT_TRUE(Contains(empty, ">Loss</text>"));
  EXPECT_TRUE(Contains(empty, ">Accuracy</text>"));
  EXPECT_TRUE(Contains(empty, "no epochs"));
  EXPECT_EQ(Count(empty, "<polyline"), 0);
}

TEST(CurvesSvg, NonFiniteLossIsLeftOut) {
  std::vector<engine::EpochMetrics> e = ThreeEpochs(false);
  e[2].train_loss = std::numeric_limits<double>::quiet_NaN();
  const std::string svg = CurvesSvg(e, "diverged");
  EXPECT_FALSE(Contains(svg, "nan"));
  EXPECT_EQ(Count(svg, "<circle"), 5);  // 2 loss points, 3 accuracy points
}

TEST(CurvesFiles, WriteCurvesWritesBothFiles) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("syllo_curves_test_" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string stem = (dir / "run").string();
  const std::vector<engine::EpochMetrics> epochs = ThreeEpochs(true);
  ASSERT_TRUE(WriteCurves(stem, epochs, "run").ok());
  auto read = [](const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  };
  EXPECT_EQ(read(stem + ".csv"), CurvesCsv(epochs));
  EXPECT_EQ(read(stem + ".svg"), CurvesSvg(epochs, "run"));
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    ++files;
    EXPECT_EQ(entry.path().string().find(".tmp"), std::string::npos) << entry.path();
  }
  EXPECT_EQ(files, 2);

  Status s = WriteCurves((dir / "missing" / "run").string(), epochs, "run");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kIoError);
  EXPECT_TRUE(Contains(s.message(), "missing"));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace syllo::learners
