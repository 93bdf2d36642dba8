#include "h5ad_dataframe.h"

#include <algorithm>

#include <fmt/format.h>

namespace bmfm::io::detail {

namespace {

using h5::Dataset;
using h5::File;
using h5::ObjectKind;

const char* kSupported = "array, string-array, categorical, nullable-integer, nullable-boolean";

std::string capitalized(std::string dtype) {  // int32 -> Int32, uint8 -> UInt8 (pandas' nullable names)
  if (dtype.rfind("uint", 0) == 0) return "UInt" + dtype.substr(4);
  if (!dtype.empty()) dtype[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(dtype[0])));
  return dtype;
}

// Text of each value of a 1-D array (categories may be numbers).
std::vector<std::string> read_as_text(const Dataset& ds) {
  const auto& t = ds.info();
  if (t.string()) return h5::read_strings(ds);
  std::vector<std::string> out;
  if (t.is_bool) {
    for (uint8_t b : h5::read_numeric<uint8_t>(ds)) out.push_back(b ? "True" : "False");
  } else if (t.cls == H5T_INTEGER) {
    for (int64_t v : h5::read_numeric<int64_t>(ds)) out.push_back(std::to_string(v));
  } else if (t.cls == H5T_FLOAT) {
    for (double v : h5::read_numeric<double>(ds)) out.push_back(fmt::format("{}", v));
  } else {
    ds.fail("has dtype '" + t.dtype + "', expected strings or numbers");
  }
  return out;
}

std::vector<int32_t> read_codes(const Dataset& codes, int64_t n_categories) {
  if (codes.info().cls != H5T_INTEGER) codes.fail("categorical codes have dtype '" + codes.info().dtype + "', expected integers");
  std::vector<int64_t> raw = h5::read_numeric<int64_t>(codes);
  std::vector<int32_t> out(raw.size());
  for (size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] < -1 || raw[i] >= n_categories)
      codes.fail(fmt::format("categorical code {} at row {} is outside [-1, {}) (there are {} categories)", raw[i], i,
                             n_categories, n_categories));
    out[i] = static_cast<int32_t>(raw[i]);
  }
  return out;
}

// A plain 1-D array column: numbers, bools or strings.
void fill_from_array(const Dataset& ds, Column& c) {
  if (ds.rank() != 1) ds.fail(fmt::format("column is a {}-D array, expected 1-D", ds.rank()));
  const auto& t = ds.info();
  c.dtype = t.dtype;
  if (t.string()) {
    c.kind = Column::Kind::String;
    c.strings = h5::read_strings(ds);
  } else if (t.is_bool) {
    c.kind = Column::Kind::Boolean;
    c.boolean = h5::read_numeric<uint8_t>(ds);
    for (auto& b : c.boolean) b = b ? 1 : 0;
  } else if (t.cls == H5T_INTEGER) {
    c.kind = Column::Kind::Integer;
    c.integer = h5::read_numeric<int64_t>(ds);
  } else if (t.cls == H5T_FLOAT) {
    c.kind = Column::Kind::Numeric;
    c.numeric = h5::read_numeric<double>(ds);
  } else {
    ds.fail("column has unsupported dtype '" + t.dtype + "' (expected numbers, bools or strings)");
  }
}

void fill_categorical(const Dataset& codes, const Dataset& categories, bool ordered, Column& c) {
  c.kind = Column::Kind::Categorical;
  c.dtype = "category";
  c.ordered = ordered;
  if (categories.rank() != 1) categories.fail("categories should be a 1-D array");
  c.categories = read_as_text(categories);
  c.codes = read_codes(codes, static_cast<int64_t>(c.categories.size()));
}

Column read_group_column(const File& f, const std::string& p, const std::string& name) {
  Column c;
  c.name = name;
  const std::string enc = f.attr_string(p, "encoding-type").value_or("");
  auto member = [&](const char* m) {
    if (f.kind(p + "/" + m) != ObjectKind::Dataset) f.fail(p, "column group lacks its '" + std::string(m) + "' dataset");
    return f.dataset(p + "/" + m);
  };
  if (enc == "categorical") {
    const bool ordered = f.has_attr(p, "ordered") && f.attr_bool(p, "ordered");
    fill_categorical(member("codes"), member("categories"), ordered, c);
  } else if (enc == "nullable-integer" || enc == "nullable-boolean") {
    Dataset values = member("values");
    fill_from_array(values, c);
    const bool boolean = enc == "nullable-boolean";
    if (boolean && c.kind != Column::Kind::Boolean) values.fail("nullable-boolean values have dtype '" + c.dtype + "'");
    if (!boolean && c.kind != Column::Kind::Integer) values.fail("nullable-integer values have dtype '" + c.dtype + "'");
    c.dtype = boolean ? "boolean" : capitalized(c.dtype);
    if (f.exists(p + "/mask")) {
      Dataset mask = f.dataset(p + "/mask");
      c.mask = h5::read_numeric<uint8_t>(mask);
      for (auto& m : c.mask) m = m ? 1 : 0;
      if (static_cast<int64_t>(c.mask.size()) != c.size())
        mask.fail(fmt::format("mask has {} entries but values has {}", c.mask.size(), c.size()));
    }
  } else if (enc.empty()) {
    f.fail(p, "column is a group without an encoding-type attribute (expected one of: " + std::string(kSupported) + ")");
  } else {
    f.fail(p, "column has unsupported encoding-type '" + enc + "' (supported: " + kSupported + ")");
  }
  return c;
}

Column read_dataset_column(const File& f, const std::string& group, const std::string& p, const std::string& name) {
  Column c;
  c.name = name;
  const std::string enc = f.attr_string(p, "encoding-type").value_or("");
  if (!enc.empty() && enc != "array" && enc != "string-array")
    f.fail(p, "column has unsupported encoding-type '" + enc + "' (supported: " + kSupported + ")");
  Dataset ds = f.dataset(p);
  if (enc.empty() && f.has_attr(p, "categories")) {
    // AnnData 0.7: codes here, categories in <group>/__categories/<name>,
    // linked by an object reference.
    std::string cat_path;
    try {
      cat_path = f.attr_reference_path(p, "categories");
    } catch (const FormatError&) {
      cat_path = group + "/__categories/" + name;
    }
    if (f.kind(cat_path) != ObjectKind::Dataset) f.fail(p, "categorical column's categories '" + cat_path + "' are missing");
    const bool ordered = f.has_attr(cat_path, "ordered") && f.attr_bool(cat_path, "ordered");
    fill_categorical(ds, f.dataset(cat_path), ordered, c);
    return c;
  }
  if (enc == "string-array" && !ds.info().string()) ds.fail("string-array has dtype '" + ds.info().dtype + "'");
  fill_from_array(ds, c);
  return c;
}

Column read_column(const File& f, const std::string& group, const std::string& name) {
  const std::string p = group + "/" + name;
  switch (f.kind(p)) {
    case ObjectKind::Group: return read_group_column(f, p, name);
    case ObjectKind::Dataset: return read_dataset_column(f, group, p, name);
    case ObjectKind::None: f.fail(group, "column-order lists '" + name + "' but there is no such column");
    default: f.fail(p, "column is neither a dataset nor a group");
  }
}

std::vector<std::string> index_as_text(const Column& c) {
  if (c.kind == Column::Kind::String && c.mask.empty()) return c.strings;
  std::vector<std::string> out;
  out.reserve(static_cast<size_t>(c.size()));
  for (int64_t i = 0; i < c.size(); ++i) out.push_back(c.text(i));
  return out;
}

std::string index_key(const File& f, const std::string& path) {
  if (auto key = f.attr_string(path, "_index")) return *key;
  if (f.exists(path + "/_index")) return "_index";
  if (f.exists(path + "/index")) return "index";
  f.fail(path, "dataframe has no '_index' attribute and no _index/index member");
}

void check_lengths(const File& f, const std::string& path, const DataFrame& df) {
  for (const auto& c : df.columns)
    if (c.size() != df.n_rows())
      f.fail(path + "/" + c.name, fmt::format("column has {} rows but the index has {}", c.size(), df.n_rows()));
}

DataFrame read_group_dataframe(const File& f, const std::string& path) {
  if (auto enc = f.attr_string(path, "encoding-type"); enc && *enc != "dataframe")
    f.fail(path, "has encoding-type '" + *enc + "', expected 'dataframe'");
  DataFrame df;
  const std::string key = index_key(f, path);
  if (!f.exists(path + "/" + key)) f.fail(path, "the index '" + key + "' named by the _index attribute is missing");
  df.index_name = key;
  df.index = index_as_text(read_column(f, path, key));
  std::vector<std::string> order;
  if (f.has_attr(path, "column-order")) {
    order = f.attr_strings(path, "column-order");
  } else {
    for (const auto& n : f.children(path))
      if (n != key && n != "__categories") order.push_back(n);
  }
  for (const auto& name : order) df.columns.push_back(read_column(f, path, name));
  check_lengths(f, path, df);
  return df;
}

// Pre-0.7 AnnData: one compound dataset; categorical codes are integer fields
// whose categories sit in uns/<field>_categories.
DataFrame read_legacy_dataframe(const File& f, const std::string& path) {
  Dataset table = f.dataset(path);
  if (table.info().cls != H5T_COMPOUND) table.fail("expected a dataframe group or a legacy compound table");
  if (table.rank() != 1) table.fail("legacy table should be 1-D");
  DataFrame df;
  std::vector<std::string> fields = table.field_names();
  if (std::find(fields.begin(), fields.end(), "index") == fields.end()) table.fail("legacy table has no 'index' field");
  df.index_name = "index";
  df.index = read_as_text(table.field("index"));
  for (const auto& name : fields) {
    if (name == "index") continue;
    Dataset field = table.field(name);
    Column c;
    c.name = name;
    const std::string cats = "uns/" + name + "_categories";
    if (field.info().cls == H5T_INTEGER && f.kind(cats) == ObjectKind::Dataset) {
      fill_categorical(field, f.dataset(cats), false, c);
    } else {
      fill_from_array(field, c);
    }
    df.columns.push_back(std::move(c));
  }
  check_lengths(f, path, df);
  return df;
}

}  // namespace

DataFrame read_dataframe(const File& f, const std::string& path) {
  switch (f.kind(path)) {
    case ObjectKind::Group: return read_group_dataframe(f, path);
    case ObjectKind::Dataset: return read_legacy_dataframe(f, path);
    case ObjectKind::None: f.fail(path, "the file has no '" + path + "' table");
    default: f.fail(path, "is neither a dataframe group nor a table dataset");
  }
}

int64_t dataframe_rows(const File& f, const std::string& path) {
  switch (f.kind(path)) {
    case ObjectKind::Dataset: return f.dataset(path).length();
    case ObjectKind::Group: {
      const std::string p = path + "/" + index_key(f, path);
      switch (f.kind(p)) {
        case ObjectKind::Dataset: return f.dataset(p).length();
        case ObjectKind::Group:
          if (f.exists(p + "/codes")) return f.dataset(p + "/codes").length();
          if (f.exists(p + "/values")) return f.dataset(p + "/values").length();
          [[fallthrough]];
        default: f.fail(path, "the dataframe index '" + p + "' is missing or unreadable");
      }
    }
    case ObjectKind::None: f.fail(path, "the file has no '" + path + "' table");
    default: f.fail(path, "is neither a dataframe group nor a table dataset");
  }
}

}  // namespace bmfm::io::detail
