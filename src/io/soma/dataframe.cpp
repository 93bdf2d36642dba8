// SOMADataFrame -> io::DataFrame.
#include <algorithm>
#include <cmath>
#include <numeric>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "bmfm/io/soma.h"

namespace bmfm::io {

namespace {

using tiledb::Datatype;
using tiledb::FieldData;


std::string numpy_dtype(Datatype t) {
  switch (t) {
    case Datatype::Float32: return "float32";
    case Datatype::Float64: return "float64";
    case Datatype::Bool: return "bool";
    default: break;
  }
  const auto c = static_cast<uint8_t>(t);
  if (c >= 18 && c <= 30) return "datetime64";
  if (c >= 31 && c <= 39) return "timedelta64";
  return tiledb::to_string(t);
}

}  // namespace

DataFrame read_soma_dataframe(const tiledb::Array& array, const std::vector<std::string>& index_columns,
                              std::vector<int64_t>* joinids, const std::vector<std::string>* columns) {
  const auto& schema = array.schema();
  std::vector<std::string> fields;  // empty = all
  if (columns) {
    auto exists = [&](const std::string& n) { return schema.attribute(n) || schema.dimension(n); };
    fields.push_back("soma_joinid");
    for (const auto& c : index_columns)
      if (exists(c)) {
        fields.push_back(c);
        break;
      }
    const std::string index = fields.size() > 1 ? fields[1] : "soma_joinid";
    for (const auto& c : *columns) {
      if (c == index || std::find(fields.begin(), fields.end(), c) != fields.end()) continue;
      if (!exists(c)) {
        std::string names;
        for (const auto& a : schema.attrs) names += (names.empty() ? "" : ", ") + a.name;
        throw FormatError(fmt::format("{} has no column '{}' (its columns: {})", array.folder(), c, names));
      }
      fields.push_back(c);
    }
  }
  const tiledb::ReadResult r = array.read(fields);
  const uint64_t n = r.n;
  // Row order: soma_joinid ascending (cells come in fragment / tile order).
  std::vector<uint64_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::vector<int64_t> ids;
  if (r.fields.count("soma_joinid")) {
    const auto& j = r.at("soma_joinid");
    ids.resize(n);
    for (uint64_t i = 0; i < n; ++i) ids[i] = tiledb::integer_value(j, i);
    std::stable_sort(order.begin(), order.end(), [&](uint64_t a, uint64_t b) { return ids[a] < ids[b]; });
    for (uint64_t i = 1; i < n; ++i)
      if (ids[order[i]] == ids[order[i - 1]])
        throw FormatError(fmt::format("{}: soma_joinid {} appears twice", array.folder(), ids[order[i]]));
  } else {
    throw FormatError(array.folder() + ": not a SOMA dataframe (no soma_joinid column)");
  }
  if (joinids) {
    joinids->resize(n);
    for (uint64_t i = 0; i < n; ++i) (*joinids)[i] = ids[order[i]];
  }

  DataFrame df;
  std::string index_col;
  for (const auto& c : index_columns)
    if (r.fields.count(c) && r.at(c).cell_val_num == tiledb::kVarNum) {
      index_col = c;
      break;
    }
  df.index_name = index_col.empty() ? "soma_joinid" : index_col;
  df.index.resize(n);
  for (uint64_t i = 0; i < n; ++i)
    df.index[i] = index_col.empty() ? std::to_string(ids[order[i]]) : r.at(index_col).string(order[i]);

  auto add_field = [&](const std::string& name, const tiledb::Attribute* attr) {
    const FieldData& f = r.at(name);
    Column c;
    c.name = name;
    const bool nullable = !f.validity.empty();
    auto missing = [&](uint64_t i) { return nullable && f.validity[i] == 0; };
    if (attr && !attr->enumeration.empty()) {
      const auto& e = array.enumeration(attr->enumeration);
      c.kind = Column::Kind::Categorical;
      c.dtype = "category";
      c.ordered = e.ordered;
      for (uint64_t k = 0; k < e.size(); ++k) c.categories.push_back(e.text(k));
      c.codes.resize(n);
      for (uint64_t i = 0; i < n; ++i) {
        const uint64_t src = order[i];
        const int64_t code = missing(src) ? -1 : tiledb::integer_value(f, src);
        if (code < -1 || code >= static_cast<int64_t>(c.categories.size()))
          throw FormatError(fmt::format("{}: column '{}' row {} has category code {} outside its {} values", array.folder(),
                                        name, i, code, c.categories.size()));
        c.codes[i] = static_cast<int32_t>(code);
      }
    } else if (f.cell_val_num == tiledb::kVarNum) {
      if (!tiledb::is_string_type(f.type) && f.type != Datatype::Blob) {
        spdlog::warn("{}: column '{}' holds var-sized {} values; not read", array.folder(), name, tiledb::to_string(f.type));
        return;
      }
      c.kind = Column::Kind::String;
      c.dtype = "str";
      c.strings.resize(n);
      if (nullable) c.mask.assign(n, 0);
      for (uint64_t i = 0; i < n; ++i) {
        if (missing(order[i])) c.mask[i] = 1;
        else c.strings[i] = f.string(order[i]);
      }
    } else if (f.cell_val_num != 1) {
      spdlog::warn("{}: column '{}' has {} values per cell; not read", array.folder(), name, f.cell_val_num);
      return;
    } else if (f.type == Datatype::Float32 || f.type == Datatype::Float64) {
      c.kind = Column::Kind::Numeric;
      c.dtype = numpy_dtype(f.type);
      c.numeric.resize(n);
      for (uint64_t i = 0; i < n; ++i) {
        const uint64_t s = order[i];
        c.numeric[i] = missing(s) ? std::nan("") : f.type == Datatype::Float32 ? f.value<float>(s) : f.value<double>(s);
      }
    } else if (f.type == Datatype::Bool) {
      c.kind = Column::Kind::Boolean;
      c.dtype = nullable ? "boolean" : "bool";
      c.boolean.resize(n);
      if (nullable) c.mask.assign(n, 0);
      for (uint64_t i = 0; i < n; ++i) {
        if (missing(order[i])) c.mask[i] = 1;
        else c.boolean[i] = f.value<uint8_t>(order[i]) != 0;
      }
    } else if (tiledb::is_integer_type(f.type)) {
      c.kind = Column::Kind::Integer;
      c.dtype = numpy_dtype(f.type);
      c.integer.resize(n);
      if (nullable) c.mask.assign(n, 0);
      for (uint64_t i = 0; i < n; ++i) {
        if (missing(order[i])) c.mask[i] = 1;
        else c.integer[i] = tiledb::integer_value(f, order[i]);
      }
    } else {
      spdlog::warn("{}: column '{}' of type {} is not read", array.folder(), name, tiledb::to_string(f.type));
      return;
    }
    df.columns.push_back(std::move(c));
  };
  // Index dimensions other than soma_joinid (e.g. a string dimension) first, then attributes in schema order.
  for (const auto& d : schema.dims)
    if (d.name != "soma_joinid" && d.name != index_col && r.fields.count(d.name)) add_field(d.name, nullptr);
  for (const auto& a : schema.attrs)
    if (a.name != "soma_joinid" && a.name != index_col && r.fields.count(a.name)) add_field(a.name, &a);
  return df;
}

}  // namespace bmfm::io
