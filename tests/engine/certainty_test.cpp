#include "engine/certainty.h"

#include <gtest/gtest.h>

#include <vector>

namespace syllo::engine {
namespace {

TEST(Mycin, CombinesAsShortliffeAndBuchananDefine) {
  EXPECT_NEAR(MycinCombine(0.5, 0.6), 0.8, 1e-12);
  EXPECT_NEAR(MycinCombine(0.5, -0.3), 0.2 / 0.7, 1e-12);  // 0.2857...
  EXPECT_NEAR(MycinCombine(-0.5, -0.6), -0.8, 1e-12);
  EXPECT_NEAR(MycinCombine(0.0, 0.7), 0.7, 1e-12);
  EXPECT_EQ(MycinCombine(1.0, -1.0), 0.0);
  // Commutative.
  EXPECT_DOUBLE_EQ(MycinCombine(0.3, -0.8), MycinCombine(-0.8, 0.3));
}

TEST(Semantics, EachImplementationFollowsItsDefinition) {
  const auto& mycin = SemanticsFor(Semantics::kMycin);
  EXPECT_EQ(mycin.Conjunction(0.4, 0.9), 0.4);
  EXPECT_NEAR(mycin.Apply(0.5, 0.8), 0.4, 1e-12);
  std::vector<double> three{0.5, 0.6, -0.3};
  EXPECT_NEAR(mycin.CombineAll(three), MycinCombine(0.8, -0.3), 1e-12);

  const auto& prob = SemanticsFor(Semantics::kProbability);
  EXPECT_NEAR(prob.Conjunction(0.5, 0.5), 0.25, 1e-12);
  EXPECT_NEAR(prob.Combine(0.5, 0.5), 0.75, 1e-12);

  const auto& fuzzy = SemanticsFor(Semantics::kFuzzy);
  EXPECT_EQ(fuzzy.Combine(0.3, 0.6), 0.6);
  EXPECT_EQ(fuzzy.Apply(0.9, 0.7), 0.7);

  const auto& boolean = SemanticsFor(Semantics::kBoolean);
  EXPECT_EQ(boolean.Apply(0.2, 0.1), 1.0);
  EXPECT_FALSE(mycin.Fires(-0.2));
  EXPECT_TRUE(mycin.Fires(0.2));
}

TEST(Semantics, NamesRoundTrip) {
  for (Semantics s : {Semantics::kBoolean, Semantics::kMycin, Semantics::kProbability, Semantics::kFuzzy}) {
    Semantics back;
    ASSERT_TRUE(ParseSemantics(SemanticsName(s), &back));
    EXPECT_EQ(back, s);
  }
  Semantics unused;
  EXPECT_FALSE(ParseSemantics("bayes", &unused));
}

}  // namespace
}  // namespace syllo::engine
