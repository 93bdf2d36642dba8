// A self-contained SVG scatter plot of a 2-D layout coloured by a categorical
// (cell type, batch): axis-free as scanpy's UMAP plots, with a legend, point
// size adapted to the number of cells, and a seeded drawing order so no group
// systematically hides another.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace bmfm::eval {

struct ScatterSpec {
  std::string title;
  const float* xy = nullptr;          // (n_obs, 2) row-major
  int64_t n_obs = 0;
  const int32_t* codes = nullptr;     // (n_obs) category per cell; < 0 = missing (grey)
  std::vector<std::string> categories;
  int width = 420, height = 360;      // plot area; the legend is added on the right
  uint64_t seed = 0;
};

// Colour i of the palette (scanpy's 20-colour default, then evenly spaced hues).
std::string category_colour(size_t i, size_t n_categories);

// Point radius in pixels for n points (large for small n, at least 0.6 px).
double point_radius(int64_t n_obs);

std::string svg_scatter(const ScatterSpec& spec);

// Escapes &, <, >, " and ' for HTML/SVG text.
std::string html_escape(const std::string& s);

}  // namespace bmfm::eval
