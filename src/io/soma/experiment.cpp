// SOMAExperiment folders as a CellReader (see bmfm/io/soma.h).
#include <algorithm>
#include <mutex>
#include <numeric>

#include <fmt/format.h>

#include "bmfm/io/soma.h"

namespace bmfm::io {

namespace {

std::string object_type(const tiledb::Metadata& md) {
  auto it = md.find("soma_object_type");
  return it == md.end() ? "" : it->second.as_string();
}



std::vector<int64_t> coords(const tiledb::FieldData& f) {
  std::vector<int64_t> v(f.size());
  if (!v.empty()) std::memcpy(v.data(), f.data.data(), v.size() * 8);  // int64 / uint64 dimensions
  return v;
}

template <class T>
std::vector<float> cast_f32(const tiledb::FieldData& f) {
  std::vector<float> v(f.data.size() / sizeof(T));
  const T* p = reinterpret_cast<const T*>(f.data.data());
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>(p[i]);
  return v;
}
std::vector<float> values_f32(const tiledb::FieldData& f) {
  using tiledb::Datatype;
  switch (f.type) {
    case Datatype::Float32: {
      std::vector<float> v(f.data.size() / 4);
      if (!v.empty()) std::memcpy(v.data(), f.data.data(), f.data.size());
      return v;
    }
    case Datatype::Float64: return cast_f32<double>(f);
    case Datatype::Int8: return cast_f32<int8_t>(f);
    case Datatype::UInt8: case Datatype::Bool: return cast_f32<uint8_t>(f);
    case Datatype::Int16: return cast_f32<int16_t>(f);
    case Datatype::UInt16: return cast_f32<uint16_t>(f);
    case Datatype::Int32: return cast_f32<int32_t>(f);
    case Datatype::UInt32: return cast_f32<uint32_t>(f);
    case Datatype::Int64: return cast_f32<int64_t>(f);
    case Datatype::UInt64: return cast_f32<uint64_t>(f);
    default: break;
  }
  throw FormatError("soma_data of type " + tiledb::to_string(f.type) + " is not numeric");
}

std::string numpy_name(tiledb::Datatype t) {
  switch (t) {
    case tiledb::Datatype::Float32: return "float32";
    case tiledb::Datatype::Float64: return "float64";
    default: return tiledb::to_string(t);
  }
}

// Position of `id` in the sorted `ids`, or -1.
int64_t position(const std::vector<int64_t>& ids, bool identity, int64_t id) {
  if (identity) return id >= 0 && id < static_cast<int64_t>(ids.size()) ? id : -1;
  auto it = std::lower_bound(ids.begin(), ids.end(), id);
  return it != ids.end() && *it == id ? it - ids.begin() : -1;
}

bool is_identity(const std::vector<int64_t>& ids) {
  for (size_t i = 0; i < ids.size(); ++i)
    if (ids[i] != static_cast<int64_t>(i)) return false;
  return true;
}

}  // namespace

struct SomaExperiment::Impl {
  std::string folder, measurement, primary;
  std::unique_ptr<tiledb::Array> obs, var;
  std::vector<std::string> layers;              // X members, primary first
  std::map<std::string, std::string> layer_dir;  // name -> folder
  std::map<std::string, std::string> obsm_dir;
  std::vector<std::string> unread;
  std::vector<int64_t> obs_ids, var_ids;
  bool obs_identity = true, var_identity = true;

  mutable std::mutex mu;
  mutable std::map<std::string, std::unique_ptr<tiledb::Array>> x;
  // The last decoded band of X: joinid rows [lo, lo + m.n_rows) of one layer.
  mutable std::string band_layer;
  mutable int64_t band_lo = -1;
  mutable CsrMatrix band;

  std::string layer_of(const std::string& key) const {
    if (key == "X") return primary;
    if (key.rfind("layers/", 0) == 0 && layer_dir.count(key.substr(7))) return key.substr(7);
    std::string names = "X (" + primary + ")";
    for (const auto& l : layers)
      if (l != primary) names += ", layers/" + l;
    throw FormatError(fmt::format("{}: no matrix '{}' in measurement '{}' (has: {})", folder, key, measurement, names));
  }

  const tiledb::Array& layer_array(const std::string& layer) const {
    auto it = x.find(layer);
    if (it != x.end()) return *it->second;
    auto a = std::make_unique<tiledb::Array>(layer_dir.at(layer));
    const std::string type = object_type(a->metadata());
    if (type == "SOMADenseNDArray")
      throw FormatError(a->folder() + ": X layer '" + layer + "' is a SOMADenseNDArray; dense X layers are not supported yet");
    if (type != "SOMASparseNDArray")
      throw FormatError(a->folder() + ": X layer '" + layer + "' has soma_object_type '" + type + "', not SOMASparseNDArray");
    const auto& s = a->schema();
    if (s.dims.size() != 2 || !s.dimension("soma_dim_0") || !s.dimension("soma_dim_1") || !s.attribute("soma_data"))
      throw FormatError(a->folder() + ": X layer '" + layer + "' is not a 2-D sparse array of soma_dim_0, soma_dim_1, soma_data");
    return *x.emplace(layer, std::move(a)).first->second;
  }

  // Decodes the band of rows holding joinid `j` (aligned to soma_dim_0's tile extent).
  void load_band(const std::string& layer, int64_t j) const {
    const tiledb::Array& a = layer_array(layer);
    const auto& d0 = a.schema().dims[0];
    int64_t extent = 2048;
    if (d0.tile_extent.size() == 8) std::memcpy(&extent, d0.tile_extent.data(), 8);
    extent = std::clamp<int64_t>(extent, 64, 65536);
    const int64_t lo = (j / extent) * extent, hi = lo + extent - 1;
    const tiledb::ReadResult r = a.read({"soma_dim_0", "soma_dim_1", "soma_data"}, lo, hi);
    const auto& rows = r.at("soma_dim_0");
    const auto& cols = r.at("soma_dim_1");
    const auto& vals = r.at("soma_data");
    // Counting sort by row, then by column within each row: tiles are in
    // global (space tile) order, not row-major over the band.
    CsrMatrix m;
    m.n_rows = extent;
    m.n_cols = static_cast<int64_t>(var_ids.size());
    m.indptr.assign(static_cast<size_t>(extent) + 1, 0);
    const std::vector<int64_t> row = coords(rows), col = coords(cols);
    const std::vector<float> value = values_f32(vals);
    for (uint64_t i = 0; i < r.n; ++i) ++m.indptr[static_cast<size_t>(row[i] - lo) + 1];
    for (int64_t k = 0; k < extent; ++k) m.indptr[static_cast<size_t>(k) + 1] += m.indptr[static_cast<size_t>(k)];
    std::vector<int64_t> fill(m.indptr.begin(), m.indptr.end() - 1);
    m.indices.resize(r.n);
    m.data.resize(r.n);
    const auto n_vars = static_cast<int64_t>(var_ids.size());
    for (uint64_t i = 0; i < r.n; ++i) {
      const int64_t g = col[i];
      const int64_t c = var_identity ? (g >= 0 && g < n_vars ? g : -1) : position(var_ids, false, g);
      if (c < 0)
        throw FormatError(fmt::format("{}: X/{} has a value at soma_dim_1 = {}, which is not a var soma_joinid", folder, layer, g));
      const auto at = static_cast<size_t>(fill[static_cast<size_t>(row[i] - lo)]++);
      m.indices[at] = static_cast<int32_t>(c);
      m.data[at] = value[i];
    }
    // Rows are usually already in column order (space tiles left to right);
    // sort only the ones that are not.
    std::vector<std::pair<int32_t, float>> tmp;
    for (int64_t k = 0; k < extent; ++k) {
      const auto b = static_cast<size_t>(m.indptr[static_cast<size_t>(k)]), e = static_cast<size_t>(m.indptr[static_cast<size_t>(k) + 1]);
      if (std::is_sorted(m.indices.begin() + static_cast<long>(b), m.indices.begin() + static_cast<long>(e))) continue;
      tmp.clear();
      for (size_t i = b; i < e; ++i) tmp.emplace_back(m.indices[i], m.data[i]);
      std::sort(tmp.begin(), tmp.end(), [](const auto& x, const auto& y) { return x.first < y.first; });
      for (size_t i = b; i < e; ++i) std::tie(m.indices[i], m.data[i]) = tmp[i - b];
    }
    band_layer = layer;
    band_lo = lo;
    band = std::move(m);
  }
};

SomaExperiment::SomaExperiment(const std::string& folder_in, const std::string& measurement)
    : impl_(std::make_unique<Impl>()) {
  auto& im = *impl_;
  im.folder = folder_in;
  while (im.folder.size() > 1 && im.folder.back() == '/') im.folder.pop_back();
  const tiledb::Group exp = tiledb::read_group(im.folder);
  const std::string type = object_type(exp.metadata);
  if (type != "SOMAExperiment")
    throw FormatError(im.folder + ": soma_object_type is '" + type + "', not SOMAExperiment (bmfm reads SOMA experiments)");
  const auto* obs = exp.find("obs");
  const auto* ms = exp.find("ms");
  if (!obs || obs->is_group) throw FormatError(im.folder + ": SOMA experiment without an obs dataframe");
  if (!ms || !ms->is_group) throw FormatError(im.folder + ": SOMA experiment without an ms (measurements) group");
  const tiledb::Group ms_group = tiledb::read_group(ms->path);
  std::vector<std::string> names;
  for (const auto& m : ms_group.members) names.push_back(m.name);
  if (!measurement.empty()) {
    im.measurement = measurement;
  } else if (names.size() == 1) {
    im.measurement = names[0];
  } else if (std::find(names.begin(), names.end(), "RNA") != names.end()) {
    im.measurement = "RNA";
  }
  const auto* mm = ms_group.find(im.measurement);
  if (im.measurement.empty() || !mm)
    throw FormatError(fmt::format("{}: no measurement '{}' (has: {}); choose one with soma_measurement=<name>", im.folder,
                                  im.measurement, fmt::join(names, ", ")));
  for (const auto& n : names)
    if (n != im.measurement) im.unread.push_back("ms/" + n);
  const tiledb::Group meas = tiledb::read_group(mm->path);
  const auto* var = meas.find("var");
  const auto* X = meas.find("X");
  if (!var || var->is_group) throw FormatError(mm->path + ": measurement without a var dataframe");
  if (!X || !X->is_group) throw FormatError(mm->path + ": measurement without an X group");
  for (const auto& m : tiledb::read_group(X->path).members) {
    im.layer_dir[m.name] = m.path;
    im.layers.push_back(m.name);
  }
  if (im.layers.empty()) throw FormatError(X->path + ": the X group has no layers");
  for (const char* p : {"raw", "counts", "data"})
    if (im.layer_dir.count(p) && im.primary.empty()) im.primary = p;
  if (im.primary.empty()) im.primary = im.layers.front();
  std::stable_partition(im.layers.begin(), im.layers.end(), [&](const std::string& l) { return l == im.primary; });
  for (const auto& m : meas.members) {
    if (m.name == "var" || m.name == "X") continue;
    if (m.name == "obsm" && m.is_group) {
      for (const auto& o : tiledb::read_group(m.path).members) im.obsm_dir[o.name] = o.path;
    } else if (m.is_group) {
      for (const auto& o : tiledb::read_group(m.path).members) im.unread.push_back(m.name + "/" + o.name);
    } else {
      im.unread.push_back(m.name);
    }
  }
  for (const auto& m : exp.members)
    if (m.name != "obs" && m.name != "ms") im.unread.push_back(m.name);

  im.obs = std::make_unique<tiledb::Array>(obs->path);
  im.var = std::make_unique<tiledb::Array>(var->path);
  for (const auto* a : {im.obs.get(), im.var.get()}) {
    const std::string t = object_type(a->metadata());
    if (t != "SOMADataFrame") throw FormatError(a->folder() + ": soma_object_type is '" + t + "', not SOMADataFrame");
  }
  auto ids = [](const tiledb::Array& a) {
    const auto r = a.read({"soma_joinid"});
    std::vector<int64_t> v(r.n);
    for (uint64_t i = 0; i < r.n; ++i) v[i] = tiledb::integer_value(r.at("soma_joinid"), i);
    std::sort(v.begin(), v.end());
    if (std::adjacent_find(v.begin(), v.end()) != v.end()) throw FormatError(a.folder() + ": duplicate soma_joinid values");
    return v;
  };
  im.obs_ids = ids(*im.obs);
  im.var_ids = ids(*im.var);
  im.obs_identity = is_identity(im.obs_ids);
  im.var_identity = is_identity(im.var_ids);
}

SomaExperiment::~SomaExperiment() = default;

const std::string& SomaExperiment::path() const { return impl_->folder; }
int64_t SomaExperiment::n_obs() const { return static_cast<int64_t>(impl_->obs_ids.size()); }
int64_t SomaExperiment::n_vars() const { return static_cast<int64_t>(impl_->var_ids.size()); }
const std::string& SomaExperiment::measurement() const { return impl_->measurement; }
const std::string& SomaExperiment::primary_layer() const { return impl_->primary; }

bool SomaExperiment::has_matrix(const std::string& key) const {
  return key == "X" || (key.rfind("layers/", 0) == 0 && impl_->layer_dir.count(key.substr(7)) && key.substr(7) != impl_->primary);
}

std::vector<std::string> SomaExperiment::layer_names() const {
  std::vector<std::string> out;
  for (const auto& l : impl_->layers)
    if (l != impl_->primary) out.push_back(l);
  return out;
}

MatrixInfo SomaExperiment::matrix_info(const std::string& key) const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  const std::string layer = impl_->layer_of(key);
  const tiledb::Array& a = impl_->layer_array(layer);
  MatrixInfo info;
  info.encoding = MatrixInfo::Encoding::Csr;
  const auto* data = a.schema().attribute("soma_data");
  info.dtype = numpy_name(data->type);
  info.n_rows = n_obs();
  info.n_cols = n_vars();
  info.nnz = static_cast<int64_t>(a.n_cells());
  info.compression = data->filters.describe();
  return info;
}

CsrMatrix SomaExperiment::read_matrix(const std::string& key, int64_t row_begin, int64_t row_end) const {
  auto& im = *impl_;
  const int64_t n = n_obs();
  if (row_end < 0) row_end = n;
  if (row_begin < 0 || row_begin > row_end || row_end > n)
    throw std::out_of_range(fmt::format("{}: rows [{}, {}) outside the {} cells", im.folder, row_begin, row_end, n));
  std::lock_guard<std::mutex> lock(im.mu);
  const std::string layer = im.layer_of(key);
  CsrMatrix out;
  out.n_rows = row_end - row_begin;
  out.n_cols = n_vars();
  out.indptr.reserve(static_cast<size_t>(out.n_rows) + 1);
  for (int64_t r = row_begin; r < row_end; ++r) {
    const int64_t j = im.obs_ids[static_cast<size_t>(r)];
    if (im.band_layer != layer || im.band_lo < 0 || j < im.band_lo || j >= im.band_lo + im.band.n_rows) im.load_band(layer, j);
    const auto k = static_cast<size_t>(j - im.band_lo);
    const int64_t b = im.band.indptr[k], e = im.band.indptr[k + 1];
    out.indices.insert(out.indices.end(), im.band.indices.begin() + b, im.band.indices.begin() + e);
    out.data.insert(out.data.end(), im.band.data.begin() + b, im.band.data.begin() + e);
    out.indptr.push_back(static_cast<int64_t>(out.data.size()));
  }
  return out;
}

DataFrame SomaExperiment::read_obs() const {
  return read_soma_dataframe(*impl_->obs, {"obs_id", "cell_id", "barcode"});
}
DataFrame SomaExperiment::read_obs_columns(const std::vector<std::string>& columns) const {
  return read_soma_dataframe(*impl_->obs, {"obs_id", "cell_id", "barcode"}, nullptr, &columns);
}
DataFrame SomaExperiment::read_var() const {
  return read_soma_dataframe(*impl_->var, {"var_id", "feature_id", "gene_id", "feature_name"});
}
DataFrame SomaExperiment::read_raw_var() const {
  throw FormatError(impl_->folder + ": a SOMA experiment has no raw (its layers are X/<name>)");
}

std::vector<std::string> SomaExperiment::obsm_keys() const {
  std::vector<std::string> out;
  for (const auto& [k, v] : impl_->obsm_dir) out.push_back(k);
  return out;
}

std::vector<std::string> SomaExperiment::unread_entries() const { return impl_->unread; }

DenseMatrix SomaExperiment::read_obsm(const std::string& key) const {
  auto it = impl_->obsm_dir.find(key);
  if (it == impl_->obsm_dir.end()) throw FormatError(impl_->folder + ": no obsm entry '" + key + "'");
  const tiledb::Array a(it->second);
  if (object_type(a.metadata()) != "SOMASparseNDArray" || a.schema().dims.size() != 2)
    throw FormatError(a.folder() + ": obsm '" + key + "' is not a 2-D SOMASparseNDArray; not supported yet");
  const auto r = a.read();
  const std::vector<float> values = values_f32(r.at("soma_data"));
  DenseMatrix m;
  m.n_rows = n_obs();
  for (uint64_t i = 0; i < r.n; ++i) m.n_cols = std::max(m.n_cols, tiledb::integer_value(r.at("soma_dim_1"), i) + 1);
  m.data.assign(static_cast<size_t>(m.n_rows * m.n_cols), 0.0f);
  for (uint64_t i = 0; i < r.n; ++i) {
    const int64_t row = position(impl_->obs_ids, impl_->obs_identity, tiledb::integer_value(r.at("soma_dim_0"), i));
    if (row < 0) throw FormatError(a.folder() + ": obsm row is not an obs soma_joinid");
    m.data[static_cast<size_t>(row * m.n_cols + tiledb::integer_value(r.at("soma_dim_1"), i))] = values[i];
  }
  return m;
}

AnnData SomaExperiment::read_all() const {
  AnnData ad;
  ad.X = read_matrix("X");
  ad.obs = read_obs();
  ad.var = read_var();
  for (const auto& l : layer_names()) ad.layers.emplace(l, read_matrix("layers/" + l));
  for (const auto& k : obsm_keys()) ad.obsm.emplace(k, read_obsm(k));
  return ad;
}

uint64_t SomaExperiment::x_bytes_read() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  uint64_t n = 0;
  for (const auto& [k, a] : impl_->x) n += a->bytes_read();
  return n;
}

}  // namespace bmfm::io
