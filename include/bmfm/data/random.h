// A small, fully specified random number generator and the samplers bmfm's
// data code needs. std:: distributions are implementation-defined, so a
// simulated dataset would differ between standard libraries; these do not.
//
// Rng is xoshiro256** seeded through splitmix64. Independent streams (one per
// cell, per worker, ...) come from Rng(seed, stream), so results do not depend
// on how work is split across threads.
#pragma once

#include <cstdint>

namespace bmfm::data {

class Rng {
 public:
  explicit Rng(uint64_t seed, uint64_t stream = 0);

  uint64_t next_u64();
  double uniform();                        // [0, 1)
  double uniform_open();                   // (0, 1): safe for log()
  int64_t uniform_int(int64_t n);          // [0, n), unbiased
  double normal();                         // N(0, 1)
  double normal(double mean, double sd) { return mean + sd * normal(); }
  double lognormal(double meanlog, double sdlog);
  double gamma(double shape, double scale = 1.0);  // mean shape*scale
  double chi_squared(double df) { return 2.0 * gamma(df / 2.0); }
  double beta(double a, double b);
  int64_t poisson(double lambda);          // exact for every lambda
  int64_t binomial(int64_t n, double p);   // exact for every n
  bool bernoulli(double p) { return uniform() < p; }

 private:
  uint64_t s_[4];
};

}  // namespace bmfm::data
