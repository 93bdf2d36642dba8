// The filter pipeline run in reverse (tile.md, filter_pipeline.md, filters/*.md).
//
// A tile is a list of chunks; each chunk carries the metadata the last filter
// wrote and the filtered bytes. Reversing filter i turns (metadata, data) into
// the (metadata, data) filter i-1 produced. Compressors compress the earlier
// filters' metadata as "metadata parts", so their reverse hands those back.
// The datatype flowing through the pipeline matters (byteshuffle element size,
// bit-width-reduction value width, delta value type): DOUBLE_DELTA and DELTA
// reinterpret it when their option says so.
#include <bzlib.h>
#include <lz4.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>

#include <fmt/format.h>

#include "internal.h"

namespace bmfm::io::tiledb {

namespace {

using Bytes = std::vector<uint8_t>;

struct Stage {
  Bytes metadata, data;
};

[[noreturn]] void corrupt(const std::string& what, const std::string& msg) {
  throw FormatError(what + ": corrupt filtered tile: " + msg);
}

uint64_t read_be(const uint8_t* p, unsigned nbytes) {
  uint64_t v = 0;
  for (unsigned i = 0; i < nbytes; ++i) v = (v << 8) | p[i];
  return v;
}

// --- codecs -------------------------------------------------------------------------

void decompress(FilterType type, const uint8_t* in, uint32_t in_size, uint32_t out_size, Bytes& out,
                uint64_t value_size, const std::string& what) {
  const size_t at = out.size();
  out.resize(at + out_size);
  uint8_t* dst = out.data() + at;
  switch (type) {
    case FilterType::Gzip: {
      uLongf n = out_size;
      const int rc = uncompress(dst, &n, in, in_size);
      if (rc != Z_OK || n != out_size) corrupt(what, fmt::format("GZIP part does not inflate to {} bytes (zlib rc {})", out_size, rc));
      return;
    }
    case FilterType::Zstd: {
      const size_t n = ZSTD_decompress(dst, out_size, in, in_size);
      if (ZSTD_isError(n) || n != out_size)
        corrupt(what, fmt::format("ZSTD part does not decompress to {} bytes ({})", out_size,
                                  ZSTD_isError(n) ? ZSTD_getErrorName(n) : "short output"));
      return;
    }
    case FilterType::Lz4: {
      const int n = LZ4_decompress_safe(reinterpret_cast<const char*>(in), reinterpret_cast<char*>(dst),
                                        static_cast<int>(in_size), static_cast<int>(out_size));
      if (n < 0 || static_cast<uint32_t>(n) != out_size) corrupt(what, fmt::format("LZ4 part does not decompress to {} bytes", out_size));
      return;
    }
    case FilterType::Bzip2: {
      unsigned int n = out_size;
      const int rc = BZ2_bzBuffToBuffDecompress(reinterpret_cast<char*>(dst), &n,
                                                const_cast<char*>(reinterpret_cast<const char*>(in)), in_size, 0, 0);
      if (rc != BZ_OK || n != out_size) corrupt(what, fmt::format("BZIP2 part does not decompress to {} bytes (rc {})", out_size, rc));
      return;
    }
    case FilterType::Rle: {
      // Fixed-size RLE: runs of [value | run length as big-endian u16].
      const uint64_t rec = value_size + 2;
      if (value_size == 0 || in_size % rec != 0) corrupt(what, "RLE part is not a whole number of runs");
      uint64_t w = 0;
      for (uint64_t i = 0; i < in_size; i += rec) {
        const uint64_t run = read_be(in + i + value_size, 2);
        if (w + run * value_size > out_size) corrupt(what, "RLE runs overflow the part");
        for (uint64_t k = 0; k < run; ++k, w += value_size) std::memcpy(dst + w, in + i, value_size);
      }
      if (w != out_size) corrupt(what, fmt::format("RLE part decodes to {} bytes, expected {}", w, out_size));
      return;
    }
    default:
      break;
  }
  corrupt(what, "no codec for " + to_string(type));
}

// Double delta of one part (filters/double_delta.md): header bitsize u8, n u64;
// raw values when bitsize >= bits(T) - 1; else in0, in1, then sign+magnitude
// pairs packed MSB-first into little-endian u64 words.
template <class T>
void double_delta_part(const uint8_t* in, uint64_t in_size, Bytes& out, const std::string& what) {
  ByteReader r(in, in_size, what + " (DOUBLE_DELTA)");
  const unsigned bitsize = r.get<uint8_t>();
  const uint64_t n = r.get<uint64_t>();
  if (n > (1ull << 40)) corrupt(what, "DOUBLE_DELTA value count is implausible");
  const size_t at = out.size();
  out.resize(at + n * sizeof(T));
  T* dst = reinterpret_cast<T*>(out.data() + at);
  if (n == 0) return;
  if (bitsize >= 8 * sizeof(T) - 1) {
    std::memcpy(dst, r.take(n * sizeof(T)), n * sizeof(T));
    return;
  }
  if (bitsize > 63) corrupt(what, "DOUBLE_DELTA bit size " + std::to_string(bitsize));
  using S = int64_t;
  dst[0] = r.get<T>();
  if (n == 1) return;
  dst[1] = r.get<T>();
  S prev_delta = static_cast<S>(static_cast<uint64_t>(dst[1]) - static_cast<uint64_t>(dst[0]));
  uint64_t word = 0;
  int bits_left = 0;
  auto next_bit = [&]() -> uint64_t {
    if (bits_left == 0) {
      word = r.get<uint64_t>();
      bits_left = 64;
    }
    --bits_left;
    return (word >> bits_left) & 1u;
  };
  for (uint64_t i = 2; i < n; ++i) {
    const uint64_t sign = next_bit();
    uint64_t mag = 0;
    for (unsigned b = 0; b < bitsize; ++b) mag = (mag << 1) | next_bit();
    const S dd = sign ? -static_cast<S>(mag) : static_cast<S>(mag);
    const S delta = prev_delta + dd;
    dst[i] = static_cast<T>(static_cast<uint64_t>(dst[i - 1]) + static_cast<uint64_t>(delta));
    prev_delta = delta;
  }
}

template <class T>
void delta_part(const uint8_t* in, uint64_t in_size, Bytes& out, const std::string& what) {
  ByteReader r(in, in_size, what + " (DELTA)");
  const uint64_t n = r.get<uint64_t>();
  if (n > r.remaining() / sizeof(T) + 1) corrupt(what, "DELTA value count exceeds the part");
  const size_t at = out.size();
  out.resize(at + n * sizeof(T));
  T* dst = reinterpret_cast<T*>(out.data() + at);
  uint64_t acc = 0;
  for (uint64_t i = 0; i < n; ++i) {
    acc += static_cast<uint64_t>(r.get<T>());
    dst[i] = static_cast<T>(acc);
  }
}

template <template <class> class F, class... A>
void by_integer_type(Datatype t, const std::string& what, A&&... a) {
  switch (datatype_size(t) * (is_signed_type(t) ? -1 : 1)) {
    case 1: return F<uint8_t>::run(a...);
    case 2: return F<uint16_t>::run(a...);
    case 4: return F<uint32_t>::run(a...);
    case 8: return F<uint64_t>::run(a...);
    case static_cast<uint64_t>(-1): return F<int8_t>::run(a...);
    case static_cast<uint64_t>(-2): return F<int16_t>::run(a...);
    case static_cast<uint64_t>(-4): return F<int32_t>::run(a...);
    case static_cast<uint64_t>(-8): return F<int64_t>::run(a...);
  }
  corrupt(what, "integer filter on " + to_string(t));
}
template <class T> struct DoubleDeltaOp {
  static void run(const uint8_t* in, uint64_t n, Bytes& out, const std::string& w) { double_delta_part<T>(in, n, out, w); }
};
template <class T> struct DeltaOp {
  static void run(const uint8_t* in, uint64_t n, Bytes& out, const std::string& w) { delta_part<T>(in, n, out, w); }
};

// Compressors: metadata = part counts and sizes; data = compressed parts.
Stage reverse_compressor(const Filter& f, Datatype type, Stage in, const std::string& what) {
  ByteReader md(in.metadata, what + " (" + to_string(f.type) + " metadata)");
  const uint32_t n_md = md.get<uint32_t>(), n_data = md.get<uint32_t>();
  if (static_cast<uint64_t>(n_md) + n_data > md.remaining() / 8) corrupt(what, "compressor part count exceeds its metadata");
  std::vector<std::pair<uint32_t, uint32_t>> parts(n_md + n_data);
  for (auto& p : parts) p = {md.get<uint32_t>(), md.get<uint32_t>()};
  Stage out;
  const Datatype value_type = (f.reinterpret != Datatype::Any) ? f.reinterpret : type;
  uint64_t pos = 0;
  for (size_t i = 0; i < parts.size(); ++i) {
    const auto [orig, comp] = parts[i];
    if (comp > in.data.size() - pos) corrupt(what, "compressed part runs past the chunk");
    // A part's size comes from the file: refuse implausible expansion before allocating it.
    if (orig > (64u << 20) && orig / 1024 > comp)
      corrupt(what, fmt::format("{} part claims {} bytes from {} compressed bytes", to_string(f.type), orig, comp));
    if ((f.type == FilterType::DoubleDelta || f.type == FilterType::Delta) && i >= n_md) {
      const uint64_t at = f.type == FilterType::DoubleDelta ? 1 : 0;
      if (comp < at + 8) corrupt(what, to_string(f.type) + " part is shorter than its header");
      uint64_t count = 0;
      std::memcpy(&count, in.data.data() + pos + at, 8);
      if (count > orig / datatype_size(value_type) || count * datatype_size(value_type) != orig)
        corrupt(what, fmt::format("{} part holds {} values, its metadata says {} bytes", to_string(f.type), count, orig));
    }
    Bytes& dst = i < n_md ? out.metadata : out.data;
    const uint8_t* src = in.data.data() + pos;
    const size_t before = dst.size();
    if (f.type == FilterType::DoubleDelta && i >= n_md) {
      by_integer_type<DoubleDeltaOp>(value_type, what, src, comp, dst, what);
    } else if (f.type == FilterType::Delta && i >= n_md) {
      by_integer_type<DeltaOp>(value_type, what, src, comp, dst, what);
    } else if (i < n_md && (f.type == FilterType::DoubleDelta || f.type == FilterType::Delta || f.type == FilterType::Rle)) {
      // Only seen after another filter that leaves metadata (no fixture has it):
      // refused rather than guessed.
      throw FormatError(what + ": " + to_string(f.type) + " after a filter with metadata is not supported yet");
    } else {
      decompress(f.type, src, comp, orig, dst, datatype_size(type), what);
    }
    if (dst.size() - before != orig)
      corrupt(what, fmt::format("{} part {} decodes to {} bytes, expected {}", to_string(f.type), i, dst.size() - before, orig));
    pos += comp;
  }
  if (pos != in.data.size()) corrupt(what, "bytes left after the last compressed part");
  return out;
}

Stage reverse_byteshuffle(Datatype type, Stage in, const std::string& what) {
  ByteReader md(in.metadata, what + " (BYTESHUFFLE metadata)");
  const uint32_t n_parts = md.get<uint32_t>();
  if (n_parts > md.remaining() / 4) corrupt(what, "BYTESHUFFLE part count exceeds its metadata");
  Stage out;
  out.data.resize(in.data.size());
  const uint64_t s = datatype_size(type);
  uint64_t pos = 0;
  for (uint32_t p = 0; p < n_parts; ++p) {
    const uint32_t len = md.get<uint32_t>();
    if (len > in.data.size() - pos) corrupt(what, "BYTESHUFFLE part runs past the chunk");
    const uint8_t* src = in.data.data() + pos;
    uint8_t* dst = out.data.data() + pos;
    const uint64_t n = len / s;
    if (s == 4) {
      for (uint64_t i = 0; i < n; ++i) {
        dst[4 * i] = src[i], dst[4 * i + 1] = src[n + i], dst[4 * i + 2] = src[2 * n + i], dst[4 * i + 3] = src[3 * n + i];
      }
    } else if (s == 8) {
      for (uint64_t i = 0; i < n; ++i)
        for (uint64_t j = 0; j < 8; ++j) dst[8 * i + j] = src[j * n + i];
    } else {
      for (uint64_t j = 0; j < s; ++j)
        for (uint64_t i = 0; i < n; ++i) dst[i * s + j] = src[j * n + i];
    }
    std::memcpy(dst + n * s, src + n * s, len - n * s);  // a partial last element is stored as is
    pos += len;
  }
  if (pos != in.data.size()) corrupt(what, "BYTESHUFFLE parts do not cover the chunk");
  out.metadata.assign(in.metadata.begin() + static_cast<long>(md.pos()), in.metadata.end());
  return out;
}

template <class T>
struct BitWidthOp {
  static void run(ByteReader& md, const Bytes& data, Bytes& out, const std::string& what) {
    const uint32_t orig = md.get<uint32_t>();
    const uint32_t n_windows = md.get<uint32_t>();
    out.reserve(orig);
    uint64_t pos = 0;
    for (uint32_t w = 0; w < n_windows; ++w) {
      const T offset = md.get<T>();
      const unsigned bits = md.get<uint8_t>();
      const uint32_t nbytes = md.get<uint32_t>();
      // `nbytes` counts the window's original bytes: nbytes / sizeof(T)
      // values stored in bits/8 bytes each, then any partial value as is.
      // `nbytes` counts the window's original bytes. A window that could not
      // be narrowed, or that ends in a partial value, is stored as is.
      const unsigned width = bits / 8;
      if (bits >= 8 * sizeof(T) || nbytes % sizeof(T) != 0) {
        if (nbytes > data.size() - pos) corrupt(what, fmt::format("BIT_WIDTH_REDUCTION window {} runs past the data", w));
        out.insert(out.end(), data.data() + pos, data.data() + pos + nbytes);
        pos += nbytes;
        continue;
      }
      const uint64_t n = nbytes / sizeof(T);
      if (bits == 0 || bits % 8 || n * width > data.size() - pos)
        corrupt(what, fmt::format("BIT_WIDTH_REDUCTION window {} ({} bits, {} bytes) is invalid", w, bits, nbytes));
      for (uint64_t k = 0; k < n; ++k) {
        uint64_t v = 0;
        std::memcpy(&v, data.data() + pos + k * width, width);
        if (std::is_signed<T>::value && width < 8 && (v >> (8 * width - 1)) & 1) v |= ~0ull << (8 * width);  // sign-extend
        const T value = static_cast<T>(static_cast<uint64_t>(offset) + v);
        const auto* b = reinterpret_cast<const uint8_t*>(&value);
        out.insert(out.end(), b, b + sizeof(T));
      }
      pos += n * width;
    }
    if (pos != data.size()) corrupt(what, fmt::format("BIT_WIDTH_REDUCTION windows cover {} of {} bytes (orig {}, {} windows)", pos, data.size(), orig, n_windows));
    if (out.size() != orig) corrupt(what, fmt::format("BIT_WIDTH_REDUCTION decodes to {} bytes, expected {}", out.size(), orig));
  }
};

Stage reverse_bit_width_reduction(Datatype type, Stage in, const std::string& what) {
  if (!is_integer_type(type) || datatype_size(type) == 1) return in;  // the forward filter passes such data through
  ByteReader md(in.metadata, what + " (BIT_WIDTH_REDUCTION metadata)");
  Stage out;
  by_integer_type<BitWidthOp>(type, what, md, in.data, out.data, what);
  out.metadata.assign(in.metadata.begin() + static_cast<long>(md.pos()), in.metadata.end());
  return out;
}

Stage reverse_checksum(const Filter& f, Stage in, const std::string& what) {
  // Checksums are skipped, not verified (docs/data-formats.md); their byte
  // counts are still checked so a truncated chunk is caught here.
  ByteReader md(in.metadata, what + " (checksum metadata)");
  const uint32_t n_md = md.get<uint32_t>(), n_data = md.get<uint32_t>();
  const uint64_t len = f.type == FilterType::ChecksumMd5 ? 16 : 32;
  uint64_t data_bytes = 0;
  for (uint32_t i = 0; i < n_md + n_data; ++i) {
    const uint64_t n = md.get<uint64_t>();
    md.take(len);
    if (i >= n_md) data_bytes += n;
  }
  if (n_data && data_bytes != in.data.size())
    corrupt(what, fmt::format("checksummed {} bytes but the chunk holds {}", data_bytes, in.data.size()));
  Stage out;
  out.data = std::move(in.data);
  out.metadata.assign(in.metadata.begin() + static_cast<long>(md.pos()), in.metadata.end());
  return out;
}

// RLE / DICTIONARY on var-sized strings (FORMAT-NOTES.md #5): the filter owns
// the offsets, which are rebuilt here; the offsets tile on disk is not used.
Stage reverse_string_codec(const Filter& f, Stage in, std::vector<uint64_t>* offsets, const std::string& what) {
  ByteReader md(in.metadata, what + " (" + to_string(f.type) + " string metadata)");
  const uint32_t n_md = md.get<uint32_t>(), n_data = md.get<uint32_t>();
  if (n_md != 0 || n_data != 1) corrupt(what, fmt::format("{} on strings expects 0 metadata and 1 data part, got {} and {}", to_string(f.type), n_md, n_data));
  const uint32_t uncompressed = md.get<uint32_t>();
  const uint32_t compressed = md.get<uint32_t>();
  const uint32_t offsets_bytes = md.get<uint32_t>();
  if (compressed != in.data.size()) corrupt(what, "string codec data size disagrees with its metadata");
  const uint64_t n_strings = offsets_bytes / 8;
  Stage out;
  out.data.reserve(uncompressed);
  offsets->clear();
  offsets->reserve(n_strings + 1);
  offsets->push_back(0);
  const uint8_t* d = in.data.data();
  const uint64_t dn = in.data.size();
  if (f.type == FilterType::Rle) {
    const unsigned run_bytes = md.get<uint8_t>(), len_bytes = md.get<uint8_t>();
    if (!run_bytes || run_bytes > 8 || !len_bytes || len_bytes > 8) corrupt(what, "RLE string widths are invalid");
    uint64_t p = 0;
    while (p < dn) {
      if (run_bytes + len_bytes > dn - p) corrupt(what, "RLE string run header runs past the data");
      const uint64_t run = read_be(d + p, run_bytes);
      const uint64_t len = read_be(d + p + run_bytes, len_bytes);
      p += run_bytes + len_bytes;
      if (len > dn - p || run > n_strings + 1 - offsets->size() + 1) corrupt(what, "RLE string run runs past the data");
      for (uint64_t k = 0; k < run; ++k) {
        out.data.insert(out.data.end(), d + p, d + p + len);
        offsets->push_back(out.data.size());
      }
      p += len;
    }
  } else {
    const unsigned id_bytes = md.get<uint8_t>(), len_bytes = md.get<uint8_t>();
    const uint32_t dict_bytes = md.get<uint32_t>();
    if (!id_bytes || id_bytes > 8 || !len_bytes || len_bytes > 8) corrupt(what, "DICTIONARY widths are invalid");
    ByteReader dict(md.take(dict_bytes), dict_bytes, what + " (DICTIONARY words)");
    std::vector<std::pair<const uint8_t*, uint64_t>> words;
    while (dict.remaining()) {
      const uint64_t len = read_be(dict.take(len_bytes), len_bytes);
      words.emplace_back(dict.take(len), len);
    }
    if (dn % id_bytes) corrupt(what, "DICTIONARY ids are not a whole number");
    for (uint64_t p = 0; p < dn; p += id_bytes) {
      const uint64_t id = read_be(d + p, id_bytes);
      if (id >= words.size()) corrupt(what, fmt::format("DICTIONARY id {} outside its {} words", id, words.size()));
      out.data.insert(out.data.end(), words[id].first, words[id].first + words[id].second);
      offsets->push_back(out.data.size());
    }
  }
  if (out.data.size() != uncompressed || offsets->size() != n_strings + 1)
    corrupt(what, fmt::format("{} strings decode to {} bytes / {} values, expected {} / {}", to_string(f.type),
                              out.data.size(), offsets->size() - 1, uncompressed, n_strings));
  return out;
}

// Does this pipeline encode var-sized strings with RLE / DICTIONARY in place of offsets?
bool owns_string_offsets(const FilterPipeline& p, Datatype type, uint32_t version) {
  if (!is_string_type(type)) return false;
  for (const auto& f : p.filters) {
    if (type == Datatype::StringUtf8 && version < 17) continue;
    if (f.type == FilterType::Rle && version >= 12) return true;
    if (f.type == FilterType::Dictionary && version >= 13) return true;
  }
  return false;
}

}  // namespace

std::vector<uint8_t> unfilter_tile(const uint8_t* data, uint64_t size, const FilterPipeline& pipeline, Datatype type,
                                   uint32_t format_version, const std::string& what,
                                   std::vector<uint64_t>* string_offsets) {
  for (const auto& f : pipeline.filters) {
    switch (f.type) {
      case FilterType::None: case FilterType::Gzip: case FilterType::Zstd: case FilterType::Lz4:
      case FilterType::Rle: case FilterType::Bzip2: case FilterType::DoubleDelta: case FilterType::BitWidthReduction:
      case FilterType::ByteShuffle: case FilterType::ChecksumMd5: case FilterType::ChecksumSha256:
      case FilterType::Dictionary: case FilterType::Delta:
        break;
      default:
        throw FormatError(what + ": filter " + to_string(f.type) + " (code " + std::to_string(static_cast<int>(f.type)) +
                          ") is not supported yet");
    }
  }
  const bool strings = string_offsets && owns_string_offsets(pipeline, type, format_version);
  if (!strings) {
    for (const auto& f : pipeline.filters)
      if (f.type == FilterType::Dictionary) throw FormatError(what + ": DICTIONARY filter on non-string data");
  }
  // Datatype entering each filter, forward.
  std::vector<Datatype> types(pipeline.filters.size());
  Datatype t = type;
  for (size_t i = 0; i < pipeline.filters.size(); ++i) {
    types[i] = t;
    const auto& f = pipeline.filters[i];
    if ((f.type == FilterType::DoubleDelta || f.type == FilterType::Delta) && f.reinterpret != Datatype::Any) t = f.reinterpret;
  }

  ByteReader r(data, size, what + " (tile)");
  const uint64_t n_chunks = r.get<uint64_t>();
  if (n_chunks > size) r.fail("chunk count " + std::to_string(n_chunks) + " exceeds the tile");
  Bytes out;
  std::vector<uint64_t> offsets;
  if (strings) {
    string_offsets->assign(1, 0);
    if (n_chunks > 1) throw FormatError(what + ": RLE/DICTIONARY strings in several chunks are not supported");
  }
  for (uint64_t c = 0; c < n_chunks; ++c) {
    const uint32_t orig = r.get<uint32_t>();
    const uint32_t filtered = r.get<uint32_t>();
    const uint32_t md_len = r.get<uint32_t>();
    Stage s;
    const uint8_t* md = r.take(md_len);
    s.metadata.assign(md, md + md_len);
    const uint8_t* fd = r.take(filtered);
    s.data.assign(fd, fd + filtered);
    const std::string cw = n_chunks > 1 ? fmt::format("{} chunk {}", what, c) : what;
    for (size_t i = pipeline.filters.size(); i-- > 0;) {
      const Filter& f = pipeline.filters[i];
      switch (f.type) {
        case FilterType::None:
          break;
        case FilterType::ByteShuffle:
          s = reverse_byteshuffle(types[i], std::move(s), cw);
          break;
        case FilterType::BitWidthReduction:
          s = reverse_bit_width_reduction(types[i], std::move(s), cw);
          break;
        case FilterType::ChecksumMd5: case FilterType::ChecksumSha256:
          s = reverse_checksum(f, std::move(s), cw);
          break;
        case FilterType::Rle: case FilterType::Dictionary:
          if (strings) {
            s = reverse_string_codec(f, std::move(s), &offsets, cw);
            break;
          }
          [[fallthrough]];
        default:
          s = reverse_compressor(f, types[i], std::move(s), cw);
      }
    }
    if (!s.metadata.empty()) corrupt(cw, fmt::format("{} bytes of filter metadata left after the pipeline", s.metadata.size()));
    if (!strings && s.data.size() != orig)
      corrupt(cw, fmt::format("chunk decodes to {} bytes, its header says {}", s.data.size(), orig));
    if (strings) {
      for (size_t k = 1; k < offsets.size(); ++k) string_offsets->push_back(out.size() + offsets[k]);
    }
    if (out.empty()) out = std::move(s.data);  // the common single-chunk tile: no copy
    else out.insert(out.end(), s.data.begin(), s.data.end());
  }
  if (r.remaining()) r.fail(std::to_string(r.remaining()) + " bytes after the last chunk");
  return out;
}

}  // namespace bmfm::io::tiledb
