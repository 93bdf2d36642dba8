// Lets a config field hold a list of small structs, each read with its own
// Schema: `fields: [{name: genes}, {name: expressions, tokenize: binned}]`.
//
// config::Schema reads lists of scalars only; a struct becomes a list element
// by specialising config::detail::Converter for it (the hook convert<V> uses):
//
//   namespace bmfm::config::detail {
//   template <>
//   struct Converter<data::FieldConfig>
//       : data::SchemaItemConverter<data::FieldConfig, data::field_schema> {};
//   }
//
// Each element is then read strictly (unknown keys, wrong types, checks) with
// its list position in the dotted key: "tokenizer.fields[1].tokenize".
// Required fields of the item schema are fine for reading but are left out
// of printed defaults, so item schemas keep every key optional and check
// emptiness themselves.
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>

#include "bmfm/config/schema.h"

namespace bmfm::data {

template <class T, const config::Schema<T>& (*SchemaFn)()>
struct SchemaItemConverter {
  static std::string name() {
    std::string keys;
    for (const auto& k : SchemaFn().keys()) keys += (keys.empty() ? "" : ", ") + k;
    return "{" + keys + "}";
  }
  static T read(const YAML::Node& node, const std::string& key, const config::Config& cfg) {
    T out{};
    SchemaFn().read_node(cfg, node, key, out);
    return out;
  }
  static std::string format(const T& value) {
    YAML::Emitter e;
    e << YAML::Flow << SchemaFn().defaults(value);
    return e.c_str();
  }
};

}  // namespace bmfm::data
