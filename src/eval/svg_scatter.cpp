#include "bmfm/eval/svg_scatter.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <sstream>

#include <fmt/format.h>

#include "bmfm/data/random.h"

namespace bmfm::eval {

namespace {
// scanpy's default categorical palette for <= 20 categories (vega/d3 category20 order).
const char* kPalette20[] = {"#1f77b4", "#ff7f0e", "#279e68", "#d62728", "#aa40fc", "#8c564b", "#e377c2",
                            "#b5bd61", "#17becf", "#aec7e8", "#ffbb78", "#98df8a", "#ff9896", "#c5b0d5",
                            "#c49c94", "#f7b6d2", "#dbdb8d", "#9edae5", "#ad494a", "#8c6d31"};
}  // namespace

std::string category_colour(size_t i, size_t n_categories) {
  if (n_categories <= 20) return kPalette20[i % 20];
  // Golden-angle hue steps, cycling lightness: neighbours in the legend get
  // clearly different colours however many categories there are.
  double h = std::fmod(static_cast<double>(i) * 137.508, 360.0);
  double l = 38.0 + 12.0 * static_cast<double>(i % 3);
  return fmt::format("hsl({:.0f},70%,{:.0f}%)", h, l);
}

double point_radius(int64_t n) { return std::clamp(90.0 / std::sqrt(std::max<int64_t>(n, 1)), 0.6, 4.0); }

std::string html_escape(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string svg_scatter(const ScatterSpec& s) {
  const int legend_w = s.categories.size() > 30 ? 320 : 180;
  const int pad = 10, title_h = 22;
  const int W = s.width + legend_w, H = std::max(s.height + title_h, title_h + 16 * static_cast<int>(std::min<size_t>(s.categories.size(), 60)) + 20);
  float lo_x = INFINITY, hi_x = -INFINITY, lo_y = INFINITY, hi_y = -INFINITY;
  for (int64_t i = 0; i < s.n_obs; ++i) {
    lo_x = std::min(lo_x, s.xy[2 * i]);
    hi_x = std::max(hi_x, s.xy[2 * i]);
    lo_y = std::min(lo_y, s.xy[2 * i + 1]);
    hi_y = std::max(hi_y, s.xy[2 * i + 1]);
  }
  const double sx = hi_x > lo_x ? (s.width - 2 * pad) / double(hi_x - lo_x) : 1.0;
  const double sy = hi_y > lo_y ? (s.height - 2 * pad) / double(hi_y - lo_y) : 1.0;
  const double r = point_radius(s.n_obs);

  std::vector<int64_t> order(static_cast<size_t>(s.n_obs));
  std::iota(order.begin(), order.end(), 0);
  data::Rng rng(s.seed, 0x5ca7);
  for (int64_t i = s.n_obs - 1; i > 0; --i) std::swap(order[static_cast<size_t>(i)], order[static_cast<size_t>(rng.uniform_int(i + 1))]);

  std::ostringstream o;
  o << fmt::format(R"(<svg xmlns="http://www.w3.org/2000/svg" width="{}" height="{}" viewBox="0 0 {} {}" font-family="sans-serif">)",
                   W, H, W, H);
  o << fmt::format(R"(<text x="{}" y="16" font-size="13" font-weight="bold">{}</text>)", pad, html_escape(s.title));
  o << fmt::format(R"(<rect x="0" y="{}" width="{}" height="{}" fill="none" stroke="#ddd"/>)", title_h, s.width, s.height);
  const size_t nc = s.categories.size();
  for (int64_t i : order) {
    const int32_t c = s.codes[i];
    const std::string colour = (c >= 0 && static_cast<size_t>(c) < nc) ? category_colour(static_cast<size_t>(c), nc) : "#cccccc";
    // y grows downwards in SVG; flip so the picture matches matplotlib's.
    o << fmt::format(R"(<circle cx="{:.1f}" cy="{:.1f}" r="{:.2f}" fill="{}"/>)", pad + (s.xy[2 * i] - lo_x) * sx,
                     title_h + s.height - pad - (s.xy[2 * i + 1] - lo_y) * sy, r, colour);
  }
  const size_t shown = std::min<size_t>(nc, 60);
  for (size_t k = 0; k < shown; ++k) {
    const int y = title_h + 12 + 16 * static_cast<int>(k);
    o << fmt::format(R"(<circle cx="{}" cy="{}" r="5" fill="{}"/><text x="{}" y="{}" font-size="11">{}</text>)",
                     s.width + 14, y - 4, category_colour(k, nc), s.width + 24, y, html_escape(s.categories[k]));
  }
  if (nc > shown)
    o << fmt::format(R"(<text x="{}" y="{}" font-size="11">... {} more</text>)", s.width + 24,
                     title_h + 12 + 16 * static_cast<int>(shown), nc - shown);
  o << "</svg>";
  return o.str();
}

}  // namespace bmfm::eval
