// Key/value metadata (metadata.md) and groups (group.md; FORMAT-NOTES.md #3).
#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "internal.h"

namespace bmfm::io::tiledb {

namespace {

// Timestamped files of a folder in replay order, without the ones a vacuum
// file lists (consolidation leaves them until vacuuming removes them).
std::vector<TimestampedName> replay_order(const std::string& folder) {
  std::set<std::string> vacuumed;
  std::vector<TimestampedName> files;
  for (const auto& name : list_dir(folder)) {
    if (name.size() > 4 && name.compare(name.size() - 4, 4, ".vac") == 0) {
      for (const auto& line : lines_of(folder + "/" + name)) vacuumed.insert(line.substr(line.find_last_of('/') + 1));
      continue;
    }
    TimestampedName t;
    if (parse_timestamped_name(name, &t) && name.find('.') == std::string::npos) files.push_back(t);
  }
  files.erase(std::remove_if(files.begin(), files.end(), [&](const TimestampedName& t) { return vacuumed.count(t.name) > 0; }),
              files.end());
  std::sort(files.begin(), files.end(), [](const TimestampedName& a, const TimestampedName& b) {
    return std::tie(a.t1, a.t2, a.name) < std::tie(b.t1, b.t2, b.name);
  });
  return files;
}

}  // namespace

Metadata read_metadata(const std::string& folder) {
  Metadata md;
  const std::string dir = folder + "/__meta";
  for (const auto& t : replay_order(dir)) {
    const std::string path = dir + "/" + t.name;
    const auto payload = read_generic_tile(read_file_bytes(path), 0, path);
    ByteReader r(payload, path + " (metadata entries)");
    while (r.remaining()) {
      const std::string key = r.string(r.get<uint32_t>());
      const bool deletion = r.get<uint8_t>() != 0;
      if (deletion) {
        md.erase(key);
        continue;
      }
      MetadataValue v;
      v.type = static_cast<Datatype>(r.get<uint8_t>());
      v.count = r.get<uint32_t>();
      v.bytes = r.bytes(static_cast<uint64_t>(v.count) * datatype_size(v.type));
      md[key] = std::move(v);
    }
  }
  return md;
}

std::string MetadataValue::as_string() const { return {bytes.begin(), bytes.end()}; }

int64_t MetadataValue::as_int() const {
  if (!is_integer_type(type) || count < 1) throw FormatError("metadata value of type " + to_string(type) + " is not an integer");
  FieldData f;
  f.type = type;
  f.data = bytes;
  return integer_value(f, 0);
}

bool is_group(const std::string& folder) {
  return path_exists(folder + "/__tiledb_group.tdb") || is_dir(folder + "/__group");
}
bool is_array(const std::string& folder) {
  return is_dir(folder + "/__schema") || path_exists(folder + "/__array_schema.tdb");
}

Group read_group(const std::string& folder) {
  if (!is_group(folder)) throw FormatError(folder + ": not a TileDB group (no __tiledb_group.tdb or __group)");
  Group g;
  g.folder = folder;
  g.metadata = read_metadata(folder);
  const std::string dir = folder + "/__group";
  if (!is_dir(dir)) {
    // Groups written before member lists existed (TileDB < 2.8): the members
    // are the arrays and groups nested in the folder.
    for (const auto& name : list_dir(folder)) {
      const std::string sub = folder + "/" + name;
      if (name.rfind("__", 0) == 0 || !is_dir(sub)) continue;
      if (is_group(sub) || is_array(sub)) g.members.push_back({name, sub, is_group(sub)});
    }
    return g;
  }
  auto files = replay_order(dir);
  // Group format v1 keeps the full member list in its latest file; v2 files
  // are deltas (additions and removals) replayed in order.
  std::vector<std::pair<std::string, GroupMember>> members;  // keyed by name or uri, in order of addition
  for (size_t fi = 0; fi < files.size(); ++fi) {
    const std::string path = dir + "/" + files[fi].name;
    const auto payload = read_generic_tile(read_file_bytes(path), 0, path);
    ByteReader r(payload, path + " (group members)");
    const uint32_t version = r.get<uint32_t>();
    if (version > 2) throw FormatError(fmt::format("{}: group format version {} is not supported", path, version));
    if (version == 1) members.clear();
    const uint64_t n = r.get<uint64_t>();
    if (n > r.remaining()) r.fail("member count " + std::to_string(n));
    for (uint64_t i = 0; i < n; ++i) {
      const uint32_t mv = r.get<uint32_t>();
      const uint8_t type = r.get<uint8_t>();
      const bool relative = r.get<uint8_t>() != 0;
      std::string uri = r.string(r.get<uint64_t>());
      std::string name;
      if (r.get<uint8_t>()) name = r.string(r.get<uint64_t>());
      const bool deleted = mv >= 2 && r.get<uint8_t>() != 0;
      if (type != 1 && type != 2) r.fail("member type " + std::to_string(type));
      GroupMember m;
      m.is_group = type == 1;
      if (relative) {
        m.path = folder + "/" + uri;
      } else if (uri.rfind("file://", 0) == 0) {
        m.path = uri.substr(7);
      } else if (!uri.empty() && uri[0] == '/') {
        m.path = uri;
      } else {
        throw FormatError(path + ": member '" + uri + "' is not a local path (only local folders are supported)");
      }
      while (!m.path.empty() && m.path.back() == '/') m.path.pop_back();
      m.name = name.empty() ? m.path.substr(m.path.find_last_of('/') + 1) : name;
      const std::string key = name.empty() ? uri : name;
      auto it = std::find_if(members.begin(), members.end(), [&](const auto& p) { return p.first == key; });
      if (deleted) {
        if (it != members.end()) members.erase(it);
      } else if (it != members.end()) {
        it->second = m;
      } else {
        members.emplace_back(key, m);
      }
    }
  }
  for (auto& [k, m] : members) g.members.push_back(std::move(m));
  return g;
}

const GroupMember* Group::find(const std::string& name) const {
  for (const auto& m : members)
    if (m.name == name) return &m;
  return nullptr;
}

}  // namespace bmfm::io::tiledb
