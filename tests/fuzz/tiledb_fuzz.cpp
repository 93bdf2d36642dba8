// Mutation fuzzer for the TileDB reader (scripts/fuzz-tiledb.sh builds it with
// AddressSanitizer + UBSan). Each iteration flips, overwrites or truncates bytes
// of one file of a real array (schema, fragment footer, R-tree, data tiles,
// metadata), opens and reads the array, and restores the file. Reading must
// either succeed or throw bmfm::io::FormatError: any other exception, crash
// or sanitizer report is a bug.
//
// usage: tiledb_fuzz SECONDS SEED ARRAY_FOLDER...
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <vector>

#include "bmfm/io/tiledb.h"

namespace fs = std::filesystem;

static std::vector<char> slurp(const std::string& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}
static void spit(const std::string& p, const std::vector<char>& b) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(b.data(), static_cast<std::streamsize>(b.size()));
}

int main(int argc, char** argv) {
  if (argc < 4) {
    std::cerr << "usage: tiledb_fuzz SECONDS SEED ARRAY_FOLDER...\n";
    return 2;
  }
  const double seconds = std::stod(argv[1]);
  std::mt19937_64 rng(std::stoull(argv[2]));
  std::vector<std::string> arrays(argv + 3, argv + argc), files;
  for (const auto& a : arrays)
    for (const auto& e : fs::recursive_directory_iterator(a))
      if (e.is_regular_file() && e.file_size() > 0) files.push_back(e.path().string());
  uint64_t runs = 0, ok = 0, format_errors = 0;
  const auto t0 = std::chrono::steady_clock::now();
  while (std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() < seconds) {
    const std::string& file = files[rng() % files.size()];
    const std::vector<char> original = slurp(file);
    std::vector<char> m = original;
    switch (rng() % 4) {
      case 0: m[rng() % m.size()] ^= static_cast<char>(1u << (rng() % 8)); break;
      case 1:
        for (int k = 0; k < 8; ++k) m[rng() % m.size()] = static_cast<char>(rng());
        break;
      case 2: m.resize(rng() % m.size()); break;
      default: {  // a plausible-looking length field: a random u32/u64 at a random offset
        const uint64_t v = (rng() % 2) ? rng() % 4096 : rng();
        const size_t at = rng() % m.size();
        for (size_t k = 0; k < 8 && at + k < m.size(); ++k) m[at + k] = static_cast<char>(v >> (8 * k));
      }
    }
    spit(file, m);
    std::string array;
    for (const auto& a : arrays)
      if (file.rfind(a, 0) == 0) array = a;
    try {
      const bmfm::io::tiledb::Array arr(array);
      arr.read();
      for (const auto& [name, f] : arr.schema().enumeration_files) arr.enumeration(name);
      arr.metadata();
      ++ok;
    } catch (const bmfm::io::FormatError&) {
      ++format_errors;
    } catch (const std::exception& e) {
      spit(file, original);
      std::cerr << "BUG: " << file << ": " << typeid(e).name() << ": " << e.what() << "\n";
      return 1;
    }
    spit(file, original);
    ++runs;
  }
  std::cout << "tiledb_fuzz: " << runs << " mutated reads in " << seconds << " s: " << ok << " decoded, "
            << format_errors << " FormatError, 0 other failures\n";
  return 0;
}
