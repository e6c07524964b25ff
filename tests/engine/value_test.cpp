#include "engine/value.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <thread>
#include <vector>

#include "engine/column_type.h"
#include "engine/symbol_table.h"
#include "engine/tensor_pool.h"

namespace syllo::engine {
namespace {

TEST(SymbolTable, InterningIsIdempotentAndDistinguishesNames) {
  auto& table = SymbolTable::Global();
  SymbolId a = table.Intern("alpha_sym");
  SymbolId b = table.Intern("beta_sym");
  EXPECT_NE(a, b);
  EXPECT_EQ(a, table.Intern("alpha_sym"));
  EXPECT_EQ(table.Name(a), "alpha_sym");
  EXPECT_EQ(table.Find("beta_sym"), b);
  EXPECT_FALSE(table.Find("never_interned_name_xyz").has_value());
}

TEST(SymbolTable, ConcurrentInterningAgreesOnIds) {
  std::vector<std::thread> threads;
  std::vector<std::vector<SymbolId>> ids(4);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([t, &ids] {
      for (int i = 0; i < 5000; ++i) ids[t].push_back(SymbolTable::Global().Intern("conc_" + std::to_string(i)));
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 1; t < 4; ++t) EXPECT_EQ(ids[0], ids[t]);
  EXPECT_EQ(SymbolTable::Global().Name(ids[0][4999]), "conc_4999");
}

TEST(Value, KindsCompareByKindAndPayload) {
  EXPECT_EQ(Value::Int(3), Value::Int(3));
  EXPECT_NE(Value::Int(3), Value::Float(3.0));  // identity, not numeric equality
  EXPECT_EQ(CompareValues(Value::Int(3), Value::Float(3.0)), 0);
  EXPECT_LT(CompareValues(Value::Int(2), Value::Float(2.5)), 0);
  EXPECT_EQ(Value::MakeSymbol("x"), Value::MakeSymbol("x"));
  EXPECT_NE(Value::MakeSymbol("x"), Value::MakeString("x"));
  EXPECT_EQ(Value::MakeSymbol("x").Hash(), Value::MakeSymbol("x").Hash());
}

TEST(Value, PrintsInRuleLanguageSpelling) {
  EXPECT_EQ(Value::Int(-42).ToString(), "-42");
  EXPECT_EQ(Value::Float(2).ToString(), "2.0");
  EXPECT_EQ(Value::Float(0.25).ToString(), "0.25");
  EXPECT_EQ(Value::Bool(true).ToString(), "true");
  EXPECT_EQ(Value::MakeSymbol("tshirt").ToString(), "tshirt");
  EXPECT_EQ(Value::MakeString("say \"hi\"\n").ToString(), "\"say \\\"hi\\\"\\n\"");
  EXPECT_EQ(Value::Float(std::nan("")).ToString(), "nan");
}

TEST(ColumnType, SpellingRoundTrips) {
  for (std::string text : {"int", "float", "bool", "symbol", "string", "tensor[28,28]", "tensor[3]"}) {
    ColumnType t;
    ASSERT_TRUE(ParseColumnType(text, &t)) << text;
    EXPECT_EQ(t.ToString(), text);
  }
  ColumnType t;
  EXPECT_FALSE(ParseColumnType("tensor[]", &t));
  EXPECT_FALSE(ParseColumnType("tensor[0]", &t));
  EXPECT_FALSE(ParseColumnType("integer", &t));
  EXPECT_TRUE(ColumnType::Of(ValueKind::kFloat).Accepts(ValueKind::kInt));
  EXPECT_FALSE(ColumnType::Of(ValueKind::kInt).Accepts(ValueKind::kFloat));
}

TEST(TensorPool, EqualContentsShareAnId) {
  std::vector<float> a{1, 2, 3, 4}, b{1, 2, 3, 4}, c{1, 2, 3, 5};
  auto& pool = TensorPool::Global();
  auto ia = pool.Intern(a, {2, 2});
  EXPECT_EQ(ia, pool.Intern(b, {2, 2}));
  EXPECT_NE(ia, pool.Intern(c, {2, 2}));
  EXPECT_NE(ia, pool.Intern(a, {4}));
  EXPECT_EQ(pool.data(ia)[3], 4.0f);
}

TEST(TensorPool, KnowsEachTensorsShapeAndWhetherItIsFinite) {
  auto& pool = TensorPool::Global();
  const float nan = std::nanf(""), inf = std::numeric_limits<float>::infinity();
  // Odd sizes: the hash reads two floats at a time and then the last one.
  const auto plain = pool.Intern(std::vector<float>{1, 2, 3}, {3});
  const auto with_nan = pool.Intern(std::vector<float>{1, nan, 3}, {3});
  const auto with_inf = pool.Intern(std::vector<float>{1, 2, -inf}, {1, 3});
  EXPECT_NE(plain, pool.Intern(std::vector<float>{1, 2, 4}, {3}));
  EXPECT_TRUE(pool.view(plain).all_finite);
  EXPECT_FALSE(pool.view(with_nan).all_finite);
  EXPECT_FALSE(pool.view(with_inf).all_finite);
  EXPECT_EQ(pool.view(with_inf).data[2], -inf);
  const std::int64_t three[] = {3}, one_three[] = {1, 3};
  EXPECT_TRUE(pool.HasShape(plain, three));
  EXPECT_FALSE(pool.HasShape(plain, one_three));
  EXPECT_TRUE(pool.HasShape(with_inf, one_three));
  EXPECT_EQ(pool.shape(with_inf), (std::vector<std::int64_t>{1, 3}));
  EXPECT_THROW(pool.view(UINT32_MAX - 1), std::out_of_range);
}

TEST(TensorPool, ThreadsInterningAndReadingAtOnceAgree) {
  // Reads take no lock: each thread reads back tensors the others are
  // interning (more than one block of entries) while they do.
  auto& pool = TensorPool::Global();
  constexpr int kThreads = 4, kEach = 3000;
  std::vector<std::vector<std::uint32_t>> ids(kThreads);
  std::vector<std::thread> threads;
  std::atomic<int> wrong{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        // Thread t interns i; half of them are also interned by thread t ^ 1.
        const float v = static_cast<float>(i % 2 == 0 ? i : t * kEach + i);
        const std::uint32_t id = pool.Intern(std::vector<float>{v, v + 0.5f}, {2});
        ids[t].push_back(id);
        const auto view = pool.view(id);
        const bool right = view.data.size() == 2 && view.data[0] == v && view.all_finite &&
                           pool.HasShape(id, std::vector<std::int64_t>{2});
        if (!right) ++wrong;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(wrong.load(), 0);
  for (int i = 0; i < kEach; i += 2) EXPECT_EQ(ids[0][i], ids[3][i]) << i;  // equal contents, one id
  EXPECT_NE(ids[0][1], ids[1][1]);
}

}  // namespace
}  // namespace syllo::engine
