#include "bmfm/data/random.h"

#include <cmath>
#include <stdexcept>
#include <string>

namespace bmfm::data {

namespace {

uint64_t splitmix64(uint64_t& x) {
  uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

}  // namespace

Rng::Rng(uint64_t seed, uint64_t stream) {
  // Mix the stream id through splitmix first so streams 0,1,2,... start far apart.
  uint64_t x = seed;
  uint64_t mixed = splitmix64(x) ^ (stream * 0xd1b54a32d192ed03ULL);
  for (auto& s : s_) s = splitmix64(mixed);
}

uint64_t Rng::next_u64() {
  const uint64_t result = rotl(s_[1] * 5, 7) * 9;
  const uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 45);
  return result;
}

double Rng::uniform() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }

double Rng::uniform_open() {
  double u;
  do u = uniform();
  while (u == 0.0);
  return u;
}

int64_t Rng::uniform_int(int64_t n) {
  if (n <= 0) throw std::invalid_argument("Rng::uniform_int: n must be positive, got " + std::to_string(n));
  // Rejection keeps the result unbiased for n that do not divide 2^64.
  const uint64_t un = static_cast<uint64_t>(n);
  const uint64_t limit = UINT64_MAX - UINT64_MAX % un;
  uint64_t x;
  do x = next_u64();
  while (x >= limit);
  return static_cast<int64_t>(x % un);
}

double Rng::normal() {
  // Marsaglia polar method; the second variate is dropped to keep the stream stateless.
  double u, v, s;
  do {
    u = 2.0 * uniform() - 1.0;
    v = 2.0 * uniform() - 1.0;
    s = u * u + v * v;
  } while (s >= 1.0 || s == 0.0);
  return u * std::sqrt(-2.0 * std::log(s) / s);
}

double Rng::lognormal(double meanlog, double sdlog) { return std::exp(normal(meanlog, sdlog)); }

double Rng::gamma(double shape, double scale) {
  if (!(shape > 0) || !(scale > 0))
    throw std::invalid_argument("Rng::gamma: shape and scale must be positive (got " + std::to_string(shape) +
                                ", " + std::to_string(scale) + ")");
  if (shape < 1.0) {
    // Boost: Gamma(k) = Gamma(k + 1) * U^(1/k).
    return gamma(shape + 1.0, scale) * std::pow(uniform_open(), 1.0 / shape);
  }
  // Marsaglia & Tsang (2000).
  const double d = shape - 1.0 / 3.0;
  const double c = 1.0 / std::sqrt(9.0 * d);
  for (;;) {
    double x, v;
    do {
      x = normal();
      v = 1.0 + c * x;
    } while (v <= 0.0);
    v = v * v * v;
    const double u = uniform_open();
    if (u < 1.0 - 0.0331 * x * x * x * x) return d * v * scale;
    if (std::log(u) < 0.5 * x * x + d * (1.0 - v + std::log(v))) return d * v * scale;
  }
}

double Rng::beta(double a, double b) {
  const double x = gamma(a);
  const double y = gamma(b);
  return x / (x + y);
}

int64_t Rng::poisson(double lambda) {
  if (!(lambda >= 0) || !std::isfinite(lambda))
    throw std::invalid_argument("Rng::poisson: lambda must be finite and >= 0, got " + std::to_string(lambda));
  // Knuth TAOCP 3.4.1 (F): peel off Gamma-distributed arrival times in big
  // steps so large lambda costs O(log lambda) draws, then count small ones.
  int64_t k = 0;
  while (lambda > 16.0) {
    const int64_t m = static_cast<int64_t>(lambda * 7.0 / 8.0);
    const double x = gamma(static_cast<double>(m));
    if (x < lambda) {
      k += m;
      lambda -= x;
    } else {
      return k + binomial(m - 1, lambda / x);
    }
  }
  const double limit = std::exp(-lambda);
  double prod = uniform();
  while (prod > limit) {
    ++k;
    prod *= uniform();
  }
  return k;
}

int64_t Rng::binomial(int64_t n, double p) {
  if (n < 0 || !(p >= 0.0 && p <= 1.0))
    throw std::invalid_argument("Rng::binomial: need n >= 0 and 0 <= p <= 1 (got n=" + std::to_string(n) +
                                ", p=" + std::to_string(p) + ")");
  // Knuth TAOCP 3.4.1 (E): the a-th order statistic of n uniforms is
  // Beta(a, n+1-a); splitting on it halves n each round, exactly.
  int64_t k = 0;
  while (n > 32) {
    const int64_t a = 1 + n / 2;
    const int64_t b = n + 1 - a;
    const double x = beta(static_cast<double>(a), static_cast<double>(b));
    if (x >= p) {
      n = a - 1;
      p = p / x;
    } else {
      k += a;
      n = b - 1;
      p = (p - x) / (1.0 - x);
    }
  }
  for (int64_t i = 0; i < n; ++i) k += uniform() < p ? 1 : 0;
  return k;
}

}  // namespace bmfm::data
