#include "bmfm/io/embedding_files.h"

#include <hdf5.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "bmfm/io/error.h"
#include "hdf5_util.h"
#include "hdf5_write.h"

namespace bmfm::io {
namespace fs = std::filesystem;

void add_obsm(const std::string& input, const std::string& output, const std::string& key, const DenseMatrix& m) {
  add_to_h5ad_copy(input, output, {}, {{key, m}});
}

void add_to_h5ad_copy(const std::string& input, const std::string& output, const std::vector<Column>& obs_categoricals,
                      const std::map<std::string, DenseMatrix>& obsm) {
  const std::string tmp = output + ".tmp";
  std::error_code ec;
  fs::copy_file(input, tmp, fs::copy_options::overwrite_existing, ec);
  if (ec) throw FormatError(fmt::format("{}: cannot copy to {}: {}", input, tmp, ec.message()));
  // The copy keeps the input's mode bits; an output of ours must be writable.
  fs::permissions(tmp, fs::perms::owner_read | fs::perms::owner_write, fs::perm_options::add, ec);
  try {
    h5::File f = h5::File::open_write(tmp);
    auto replace = [&](const std::string& path) {
      if (f.exists(path) && H5Ldelete(f.id(), path.c_str(), H5P_DEFAULT) < 0) f.fail(path, "cannot replace");
    };
    if (!obsm.empty()) {
      const h5::ObjectKind kind = f.kind("obsm");
      if (kind == h5::ObjectKind::Dataset)
        throw FormatError(fmt::format("{}: obsm is a legacy (pre-0.7) compound table that cannot hold a 2-D entry; "
                                      "write a slim copy instead (--slim)", input));
      if (kind == h5::ObjectKind::None) {
        h5::create_group(f, "obsm");
        h5::write_encoding(f, "obsm", "dict", "0.1.0");
      }
      for (const auto& [key, m] : obsm) {
        const std::string path = "obsm/" + key;
        replace(path);
        const std::vector<hsize_t> dims{static_cast<hsize_t>(m.n_rows), static_cast<hsize_t>(m.n_cols)};
        h5::write_array(f, path, H5T_NATIVE_FLOAT, H5T_IEEE_F32LE, m.data.data(), dims, h5::Filters{});
        h5::write_encoding(f, path, "array", "0.2.0");
      }
    }
    if (!obs_categoricals.empty()) {
      if (f.kind("obs") != h5::ObjectKind::Group || f.attr_string("obs", "encoding-type") != std::string("dataframe"))
        throw FormatError(fmt::format("{}: obs is not an AnnData >= 0.8 dataframe; write a slim copy instead (--slim)",
                                      input));
      std::vector<std::string> order = f.attr_strings("obs", "column-order");
      for (const Column& c : obs_categoricals) {
        const std::string path = "obs/" + c.name;
        replace(path);
        if (c.kind == Column::Kind::Numeric) {
          h5::write_array(f, path, H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE, c.numeric.data(), {c.numeric.size()}, h5::Filters{});
          h5::write_encoding(f, path, "array", "0.2.0");
          if (std::find(order.begin(), order.end(), c.name) == order.end()) order.push_back(c.name);
          continue;
        }
        if (c.kind != Column::Kind::Categorical)
          throw FormatError(fmt::format("{}: obs column {}: only categorical and float columns can be added", output, c.name));
        h5::create_group(f, path);
        h5::write_encoding(f, path, "categorical", "0.2.0");
        h5::write_attr_bool(f, path, "ordered", false);
        h5::write_array(f, path + "/codes", H5T_NATIVE_INT32, H5T_STD_I32LE, c.codes.data(), {c.codes.size()},
                        h5::Filters{});
        h5::write_encoding(f, path + "/codes", "array", "0.2.0");
        h5::write_strings(f, path + "/categories", c.categories, h5::Filters{});
        h5::write_encoding(f, path + "/categories", "string-array", "0.2.0");
        if (std::find(order.begin(), order.end(), c.name) == order.end()) order.push_back(c.name);
      }
      if (f.has_attr("obs", "column-order") && H5Adelete_by_name(f.id(), "obs", "column-order", H5P_DEFAULT) < 0)
        f.fail("obs", "cannot rewrite the column-order attribute");
      h5::write_attr(f, "obs", "column-order", order);
    }
    f.close();
  } catch (...) {
    fs::remove(tmp, ec);
    throw;
  }
  fs::rename(tmp, output, ec);
  if (ec) throw FormatError(fmt::format("cannot rename {} to {}: {}", tmp, output, ec.message()));
}

void write_npy(const std::string& path, const DenseMatrix& m) {
  std::string header = fmt::format("{{'descr': '<f4', 'fortran_order': False, 'shape': ({}, {}), }}", m.n_rows, m.n_cols);
  // Magic (6) + version (2) + header length (2) + header, padded with spaces
  // and a newline to a multiple of 64 bytes (the format's alignment rule).
  const size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header.push_back('\n');
  const std::string tmp = path + ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary);
    const unsigned char magic[8] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0};
    f.write(reinterpret_cast<const char*>(magic), 8);
    const uint16_t len = static_cast<uint16_t>(header.size());
    const char len_le[2] = {static_cast<char>(len & 0xff), static_cast<char>(len >> 8)};
    f.write(len_le, 2);
    f << header;
    f.write(reinterpret_cast<const char*>(m.data.data()), static_cast<std::streamsize>(m.data.size() * sizeof(float)));
    f.flush();
    if (!f) throw FormatError("cannot write " + tmp);
  }
  fs::rename(tmp, path);
}

void write_embedding_csv(const std::string& path, const std::vector<std::string>& cell_ids, const DenseMatrix& m) {
  if (static_cast<int64_t>(cell_ids.size()) != m.n_rows)
    throw FormatError(fmt::format("{}: {} cell ids for {} embedding rows", path, cell_ids.size(), m.n_rows));
  const std::string tmp = path + ".tmp";
  {
    std::ofstream f(tmp);
    fmt::memory_buffer line;
    for (int64_t r = 0; r < m.n_rows; ++r) {
      line.clear();
      fmt::format_to(std::back_inserter(line), "{}", cell_ids[static_cast<size_t>(r)]);
      for (int64_t c = 0; c < m.n_cols; ++c) fmt::format_to(std::back_inserter(line), ",{}", m.at(r, c));
      line.push_back('\n');
      f.write(line.data(), static_cast<std::streamsize>(line.size()));
    }
    f.flush();
    if (!f) throw FormatError("cannot write " + tmp);
  }
  fs::rename(tmp, path);
}

}  // namespace bmfm::io
