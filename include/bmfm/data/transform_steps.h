// The per-cell transform steps (1)-(5) of docs/transforms.md as small
// functions on a GeneSeq with explicit inputs. TransformPipeline
// (transforms.h) chains them in the one documented order; they are public so
// each can be tested and reused on its own. RDA is in rda.h, binning in binning.h.
//
// None allocates once its buffers (the sequence and a StepScratch) have grown
// to the cell size: loader threads keep one of each and reuse them. Every
// random choice comes from the Rng passed in, so a cell's result is a function
// of its input and that Rng's state.
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "bmfm/data/gene_locations.h"
#include "bmfm/data/random.h"

namespace bmfm::data {

// One cell as the transforms see it: parallel arrays, one entry per position.
struct GeneSeq {
  std::vector<int32_t> genes;  // vocabulary ids
  std::vector<float> raw;      // raw values (counts), untouched by normalisation
  std::vector<float> values;   // current continuous values (log1p-normalised after step 1)

  size_t size() const { return genes.size(); }
  void clear();
  void assign(const int32_t* g, const float* raw_values, size_t n);  // values := raw
  void push_back(int32_t g, float r, float v);
  void truncate(size_t n);  // keep the first n positions (no-op when already shorter)
};

// A set of vocabulary ids with O(1) membership: the genes a dataset measures,
// or the genes expressed anywhere in a batch. Insertion order is kept.
class GeneSet {
 public:
  explicit GeneSet(int32_t vocab_size = 0);
  void clear();  // O(size), keeps capacity
  void insert(int32_t gene);
  // Every gene of a cell with a non-zero value (the batch-wise padding input).
  void insert_expressed(const int32_t* genes, const float* values, size_t n);
  bool contains(int32_t gene) const { return member_[static_cast<size_t>(gene)] != 0; }
  const std::vector<int32_t>& genes() const { return genes_; }
  int32_t vocab_size() const { return static_cast<int32_t>(member_.size()); }

 private:
  std::vector<uint8_t> member_;
  std::vector<int32_t> genes_;
};

// Reusable buffers for the steps; sized on first use.
struct StepScratch {
  std::vector<uint64_t> keys;
  std::vector<std::pair<uint64_t, uint32_t>> keyed, keyed_tmp;
  std::vector<uint32_t> order;
  std::vector<double> weights;
  std::vector<int32_t> picked;  // zero padding: chosen zero genes
  std::vector<uint32_t> mark;   // zero padding: vocab-sized stamps (expressed or chosen)
  uint32_t epoch = 0;
  GeneSeq tmp;
};

// ---- (1) normalisation --------------------------------------------------------
// Geneformer-style gene scaling (the reference's `median_normalization`):
// raw[i] / gene_medians[genes[i]] becomes the value to normalise; positions
// whose gene has no median (NaN or <= 0 in the vocab-sized table) are removed.
// `raw` keeps the counts.
void scale_by_gene_medians(GeneSeq& seq, const std::vector<float>& gene_medians);
// values[i] = log1p(values[i] / sum(values) * target_sum), the sum taken over
// the positions present now (after gene mapping / QC / gene scaling). A cell
// summing to 0 keeps all values 0. Computed in double, stored as float.
void normalize_log1p(GeneSeq& seq, double target_sum);
// The median of per-cell totals (numpy.median: mean of the two middle values
// for an even count), the target sum of median scaling (scanpy
// normalize_total(target_sum=None)). Throws on an empty input.
double median_of(std::vector<double> totals);

// ---- (2) gene ordering --------------------------------------------------------
// A uniformly random permutation (Fisher-Yates).
void order_random(GeneSeq& seq, Rng& rng, StepScratch& scratch);
// By value, descending; ties by gene id, ascending.
void order_by_expression(GeneSeq& seq, StepScratch& scratch);
// By a per-gene rank (vocab-sized; smaller first); ties and unranked (NaN)
// genes by gene id, unranked after all ranked ones.
void order_by_rank(GeneSeq& seq, const std::vector<float>& rank, StepScratch& scratch);

struct ChromosomalOrder {
  bool shuffle_chromosomes = true;  // UCE: chromosome blocks in random order per cell; false = 1..22, X, Y, MT
  bool keep_unlocated = false;      // false: genes without a location are removed (as UCE / the reference)
                                    // true: they follow the located ones, by gene id
  size_t resample_length = 0;       // > 0: UCE's repeats: first draw this many positions with
                                    // replacement, weights log1p(raw), then order them
};
// Groups positions by chromosome, orders each group by position (ties by gene id).
void order_chromosomal(GeneSeq& seq, const GeneLocations& locations, const ChromosomalOrder& options, Rng& rng,
                       StepScratch& scratch);

// ---- (4) dropout ---------------------------------------------------------------
// Each position is removed independently with probability `rate` in [0, 1].
void dropout_random(GeneSeq& seq, double rate, Rng& rng);
// Removes one contiguous block of round(fraction * size) positions, start uniform.
void dropout_chunk(GeneSeq& seq, double fraction, Rng& rng);
// Removes the k highest values (ties: lower gene id counts as higher); the rest keep their order.
void dropout_top_k(GeneSeq& seq, size_t k, StepScratch& scratch);

// ---- (5) zero-gene padding -----------------------------------------------------
enum class ZeroPadding {
  None,
  Random,       // zeros drawn uniformly from the measured genes the cell does not express
  BatchWise,    // first zeros of genes expressed elsewhere in the batch (random order), then Random ones
  Interleaved,  // BatchWise's zeros (or Random's, without a batch) spread evenly among the
                // expressed genes so that about `zero_ratio` of the positions are zeros
};

struct ZeroPaddingInput {
  size_t target_length = 0;           // fill up to this many positions
  double zero_ratio = 0.5;            // Interleaved only
  const GeneSet* measured = nullptr;  // candidate zero genes (required)
  const GeneSet* batch = nullptr;     // BatchWise (required) / Interleaved (optional)
  // Every gene the cell expresses, kept or not: none of them may become a zero.
  const int32_t* cell_genes = nullptr;
  size_t n_cell_genes = 0;
};
// Appends (or, Interleaved, interleaves) zero positions (raw = value = 0);
// returns how many. Fewer than asked when the candidates run out.
size_t pad_zero_genes(GeneSeq& seq, ZeroPadding mode, const ZeroPaddingInput& input, Rng& rng, StepScratch& scratch);

}  // namespace bmfm::data
