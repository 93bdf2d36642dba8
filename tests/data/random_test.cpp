// Samplers checked against their closed-form moments (hand-derived: e.g.
// Gamma(k, s) has mean k*s and variance k*s^2; Binomial(n, p) has mean n*p and
// variance n*p*(1-p)). With N draws the sample mean has standard error
// sqrt(var / N); the tolerances are 5 standard errors, so a correct sampler
// fails with probability < 1e-6, and the seed is fixed so the test is stable.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <vector>

#include "bmfm/data/random.h"

using bmfm::data::Rng;

namespace {

struct Moments {
  double mean = 0, var = 0;
};

Moments moments(int n, const std::function<double()>& draw) {
  std::vector<double> x(static_cast<size_t>(n));
  double sum = 0;
  for (auto& v : x) sum += v = draw();
  Moments m;
  m.mean = sum / n;
  for (double v : x) m.var += (v - m.mean) * (v - m.mean);
  m.var /= (n - 1);
  return m;
}

void expect_moments(const Moments& m, double mean, double var, int n, const char* what) {
  const double se_mean = std::sqrt(var / n);
  EXPECT_NEAR(m.mean, mean, 5 * se_mean + 1e-12) << what;
  // Variance check is looser (kurtosis unknown in general): 5% relative.
  EXPECT_NEAR(m.var, var, 0.05 * var + 1e-12) << what;
}

}  // namespace

TEST(Random, SameSeedAndStreamGiveSameSequence) {
  Rng a(42, 7), b(42, 7), c(42, 8), d(43, 7);
  for (int i = 0; i < 100; ++i) {
    uint64_t x = a.next_u64();
    EXPECT_EQ(x, b.next_u64());
    EXPECT_NE(x, c.next_u64());
    EXPECT_NE(x, d.next_u64());
  }
}

TEST(Random, UniformInUnitInterval) {
  Rng rng(1);
  const int n = 200000;
  auto m = moments(n, [&] {
    double u = rng.uniform();
    EXPECT_GE(u, 0.0);
    EXPECT_LT(u, 1.0);
    return u;
  });
  expect_moments(m, 0.5, 1.0 / 12.0, n, "uniform");
}

TEST(Random, UniformIntCoversRangeEvenly) {
  Rng rng(2);
  std::vector<int> hist(7, 0);
  const int n = 70000;
  for (int i = 0; i < n; ++i) ++hist[static_cast<size_t>(rng.uniform_int(7))];
  // Each bin: Binomial(n, 1/7): mean 10000, sd ~92.6.
  for (int h : hist) EXPECT_NEAR(h, 10000, 5 * 92.6);
  EXPECT_THROW(rng.uniform_int(0), std::invalid_argument);
}

TEST(Random, NormalMoments) {
  Rng rng(3);
  const int n = 200000;
  expect_moments(moments(n, [&] { return rng.normal(); }), 0.0, 1.0, n, "N(0,1)");
  expect_moments(moments(n, [&] { return rng.normal(5.0, 2.0); }), 5.0, 4.0, n, "N(5,4)");
}

TEST(Random, LognormalMoments) {
  // LogNormal(mu, s): mean exp(mu + s^2/2), var (exp(s^2) - 1) exp(2 mu + s^2).
  Rng rng(4);
  const int n = 200000;
  const double mu = 0.5, s = 0.3;
  double mean = std::exp(mu + s * s / 2), var = (std::exp(s * s) - 1) * std::exp(2 * mu + s * s);
  expect_moments(moments(n, [&] { return rng.lognormal(mu, s); }), mean, var, n, "lognormal");
}

TEST(Random, GammaMomentsBelowAndAboveShapeOne) {
  Rng rng(5);
  const int n = 200000;
  for (double k : {0.3, 0.6, 1.0, 2.5, 40.0}) {
    const double scale = 1.7;
    expect_moments(moments(n, [&] { return rng.gamma(k, scale); }), k * scale, k * scale * scale, n, "gamma");
  }
  EXPECT_THROW(rng.gamma(0.0), std::invalid_argument);
  EXPECT_THROW(rng.gamma(1.0, -1.0), std::invalid_argument);
}

TEST(Random, ChiSquaredAndBetaMoments) {
  Rng rng(6);
  const int n = 200000;
  expect_moments(moments(n, [&] { return rng.chi_squared(60); }), 60, 120, n, "chi2(60)");
  // Beta(a, b): mean a/(a+b), var ab / ((a+b)^2 (a+b+1)).
  const double a = 2, b = 5;
  expect_moments(moments(n, [&] { return rng.beta(a, b); }), a / (a + b), a * b / ((a + b) * (a + b) * (a + b + 1)), n,
                 "beta");
}

TEST(Random, PoissonMomentsSmallAndLargeLambda) {
  Rng rng(7);
  const int n = 100000;
  for (double lambda : {0.0, 0.05, 3.0, 16.0, 17.5, 250.0, 1e5}) {
    auto m = moments(n, [&] { return static_cast<double>(rng.poisson(lambda)); });
    if (lambda == 0.0) {
      EXPECT_EQ(m.mean, 0.0);
      continue;
    }
    expect_moments(m, lambda, lambda, n, "poisson");
  }
  EXPECT_THROW(rng.poisson(-1.0), std::invalid_argument);
  EXPECT_THROW(rng.poisson(std::nan("")), std::invalid_argument);
}

TEST(Random, PoissonSmallLambdaProbabilities) {
  // P(X=0) = exp(-2) = 0.135335, P(X=2) = 2 exp(-2) = 0.270671 for lambda = 2.
  Rng rng(8);
  const int n = 200000;
  int zeros = 0, twos = 0;
  for (int i = 0; i < n; ++i) {
    int64_t x = rng.poisson(2.0);
    zeros += x == 0;
    twos += x == 2;
  }
  EXPECT_NEAR(zeros / double(n), 0.135335, 5 * std::sqrt(0.135335 * 0.864665 / n));
  EXPECT_NEAR(twos / double(n), 0.270671, 5 * std::sqrt(0.270671 * 0.729329 / n));
}

TEST(Random, BinomialMomentsSmallAndLargeN) {
  Rng rng(9);
  const int n = 100000;
  for (auto [trials, p] : {std::pair<int64_t, double>{10, 0.3}, {33, 0.5}, {1000, 0.02}, {100000, 0.7}}) {
    auto m = moments(n, [&, t = trials, q = p] { return static_cast<double>(rng.binomial(t, q)); });
    expect_moments(m, trials * p, trials * p * (1 - p), n, "binomial");
  }
  EXPECT_EQ(rng.binomial(50, 0.0), 0);
  EXPECT_EQ(rng.binomial(50, 1.0), 50);
  EXPECT_THROW(rng.binomial(5, 1.5), std::invalid_argument);
}
