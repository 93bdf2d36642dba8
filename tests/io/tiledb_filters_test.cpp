// The TileDB filter pipeline in reverse, against tiles built by hand from the
// format specification (tile.md, filter_pipeline.md, filters/*.md), plus a
// fuzz loop over real tiles: every mutation decodes or throws FormatError.
#include <bzlib.h>
#include <lz4.h>
#include <zlib.h>
#include <zstd.h>

#include <cstring>
#include <random>

#include <gtest/gtest.h>

#include "bmfm/io/tiledb.h"
#include "test_util.h"

namespace bmfm::io::tiledb {
namespace {

using Bytes = std::vector<uint8_t>;

template <class T>
void put(Bytes& b, T v) {
  const auto* p = reinterpret_cast<const uint8_t*>(&v);
  b.insert(b.end(), p, p + sizeof(T));
}
void put_be(Bytes& b, uint64_t v, unsigned n) {
  for (unsigned i = n; i-- > 0;) b.push_back(static_cast<uint8_t>(v >> (8 * i)));
}
// One-chunk tile: [u64 1][u32 orig][u32 filtered][u32 md][md][data].
Bytes tile(uint32_t orig, const Bytes& md, const Bytes& data) {
  Bytes t;
  put<uint64_t>(t, 1);
  put<uint32_t>(t, orig);
  put<uint32_t>(t, static_cast<uint32_t>(data.size()));
  put<uint32_t>(t, static_cast<uint32_t>(md.size()));
  t.insert(t.end(), md.begin(), md.end());
  t.insert(t.end(), data.begin(), data.end());
  return t;
}
FilterPipeline pipeline(std::initializer_list<FilterType> types) {
  FilterPipeline p;
  for (auto t : types) p.filters.push_back({t, 0, Datatype::Any, 0});
  return p;
}
template <class T>
std::vector<T> as(const Bytes& b) {
  std::vector<T> v(b.size() / sizeof(T));
  std::memcpy(v.data(), b.data(), v.size() * sizeof(T));
  return v;
}
Bytes decode(const Bytes& t, const FilterPipeline& p, Datatype type, std::vector<uint64_t>* offsets = nullptr) {
  return unfilter_tile(t.data(), t.size(), p, type, 22, "test tile", offsets);
}
// Compressor metadata for one data part: [n_md 0][n_data 1][orig][compressed].
Bytes one_part(uint32_t orig, uint32_t comp) {
  Bytes md;
  put<uint32_t>(md, 0);
  put<uint32_t>(md, 1);
  put<uint32_t>(md, orig);
  put<uint32_t>(md, comp);
  return md;
}

TEST(TiledbFilters, NoFilterIsTheRawChunk) {
  const std::vector<int32_t> v{7, -3, 11};
  Bytes raw(reinterpret_cast<const uint8_t*>(v.data()), reinterpret_cast<const uint8_t*>(v.data() + 3));
  EXPECT_EQ(as<int32_t>(decode(tile(12, {}, raw), pipeline({}), Datatype::Int32)), v);
}

TEST(TiledbFilters, CompressorsInflateTheirParts) {
  Bytes raw;
  for (int i = 0; i < 1000; ++i) raw.push_back(static_cast<uint8_t>(i % 7));
  const auto n = static_cast<uint32_t>(raw.size());
  {  // zlib format, as TileDB's GZIP writes it
    uLongf len = compressBound(n);
    Bytes z(len);
    ASSERT_EQ(compress2(z.data(), &len, raw.data(), n, 6), Z_OK);
    z.resize(len);
    EXPECT_EQ(decode(tile(n, one_part(n, static_cast<uint32_t>(len)), z), pipeline({FilterType::Gzip}), Datatype::UInt8), raw);
  }
  {
    Bytes z(ZSTD_compressBound(n));
    z.resize(ZSTD_compress(z.data(), z.size(), raw.data(), n, 3));
    EXPECT_EQ(decode(tile(n, one_part(n, static_cast<uint32_t>(z.size())), z), pipeline({FilterType::Zstd}), Datatype::UInt8), raw);
  }
  {
    Bytes z(static_cast<size_t>(LZ4_compressBound(static_cast<int>(n))));
    z.resize(static_cast<size_t>(LZ4_compress_default(reinterpret_cast<const char*>(raw.data()), reinterpret_cast<char*>(z.data()),
                                                      static_cast<int>(n), static_cast<int>(z.size()))));
    EXPECT_EQ(decode(tile(n, one_part(n, static_cast<uint32_t>(z.size())), z), pipeline({FilterType::Lz4}), Datatype::UInt8), raw);
  }
  {
    unsigned int len = n + n / 100 + 600;
    Bytes z(len);
    ASSERT_EQ(BZ2_bzBuffToBuffCompress(reinterpret_cast<char*>(z.data()), &len, reinterpret_cast<char*>(raw.data()), n, 9, 0, 0), BZ_OK);
    z.resize(len);
    EXPECT_EQ(decode(tile(n, one_part(n, len), z), pipeline({FilterType::Bzip2}), Datatype::UInt8), raw);
  }
}

TEST(TiledbFilters, ByteshuffleRegroupsBytesPerElement) {
  // Two uint32 values 0x04030201, 0x08070605 shuffled: byte 0 of each, byte 1 of each, ...
  const Bytes shuffled{0x01, 0x05, 0x02, 0x06, 0x03, 0x07, 0x04, 0x08};
  Bytes md;
  put<uint32_t>(md, 1);
  put<uint32_t>(md, 8);
  EXPECT_EQ(as<uint32_t>(decode(tile(8, md, shuffled), pipeline({FilterType::ByteShuffle}), Datatype::UInt32)),
            (std::vector<uint32_t>{0x04030201u, 0x08070605u}));
}

TEST(TiledbFilters, BitWidthReductionAddsTheWindowOffset) {
  // uint64 values 1000, 1001, 1255 in one window: offset 1000, 8-bit residues 0, 1, 255;
  // then a 1-byte window (a partial value) stored as is.
  Bytes md, data{0, 1, 255, 0xAB};
  put<uint32_t>(md, 25);
  put<uint32_t>(md, 2);
  put<uint64_t>(md, 1000);
  md.push_back(8);
  put<uint32_t>(md, 24);
  put<uint64_t>(md, 0);
  md.push_back(8);
  put<uint32_t>(md, 1);
  const Bytes out = decode(tile(25, md, data), pipeline({FilterType::BitWidthReduction}), Datatype::UInt64);
  ASSERT_EQ(out.size(), 25u);
  EXPECT_EQ(as<uint64_t>(Bytes(out.begin(), out.begin() + 24)), (std::vector<uint64_t>{1000, 1001, 1255}));
  EXPECT_EQ(out[24], 0xAB);
}

TEST(TiledbFilters, BitWidthReductionSignExtendsSignedValues) {
  Bytes md, data{0xFF, 0x02};  // int32 residues -1, 2 with offset -10 -> -11, -8
  put<uint32_t>(md, 8);
  put<uint32_t>(md, 1);
  put<int32_t>(md, -10);
  md.push_back(8);
  put<uint32_t>(md, 8);
  EXPECT_EQ(as<int32_t>(decode(tile(8, md, data), pipeline({FilterType::BitWidthReduction}), Datatype::Int32)),
            (std::vector<int32_t>{-11, -8}));
}

TEST(TiledbFilters, DoubleDeltaPacksSignAndMagnitudeMsbFirst) {
  // int64 10, 13, 15, 20: deltas 3, 2, 5; double deltas -1, +3 -> bitsize 2.
  // Bits (MSB first): sign 1, mag 01, sign 0, mag 11 -> 10101 1000... in the first u64 word.
  Bytes part;
  part.push_back(2);
  put<uint64_t>(part, 4);
  put<int64_t>(part, 10);
  put<int64_t>(part, 13);
  put<uint64_t>(part, 0b101011ull << 58);
  EXPECT_EQ(as<int64_t>(decode(tile(32, one_part(32, static_cast<uint32_t>(part.size())), part),
                               pipeline({FilterType::DoubleDelta}), Datatype::Int64)),
            (std::vector<int64_t>{10, 13, 15, 20}));
}

TEST(TiledbFilters, DoubleDeltaStoresRawValuesWhenItCannotHelp) {
  Bytes part;
  part.push_back(31);  // bitsize >= 32 - 1 for int32: values follow as is
  put<uint64_t>(part, 2);
  put<int32_t>(part, INT32_MIN);
  put<int32_t>(part, INT32_MAX);
  EXPECT_EQ(as<int32_t>(decode(tile(8, one_part(8, static_cast<uint32_t>(part.size())), part),
                               pipeline({FilterType::DoubleDelta}), Datatype::Int32)),
            (std::vector<int32_t>{INT32_MIN, INT32_MAX}));
}

TEST(TiledbFilters, DeltaAccumulatesDifferences) {
  Bytes part;
  put<uint64_t>(part, 3);
  put<uint16_t>(part, 100);
  put<uint16_t>(part, 5);
  put<uint16_t>(part, 65535);  // -1 modulo 2^16
  EXPECT_EQ(as<uint16_t>(decode(tile(6, one_part(6, static_cast<uint32_t>(part.size())), part),
                                pipeline({FilterType::Delta}), Datatype::UInt16)),
            (std::vector<uint16_t>{100, 105, 104}));
}

TEST(TiledbFilters, FixedRunLengthEncodingHasBigEndianRunCounts) {
  // Validity bytes 1 x 300, 0 x 2: [1 | 0x012C][0 | 0x0002]
  const Bytes data{1, 0x01, 0x2C, 0, 0x00, 0x02};
  const Bytes out = decode(tile(302, one_part(302, 6), data), pipeline({FilterType::Rle}), Datatype::UInt8);
  ASSERT_EQ(out.size(), 302u);
  EXPECT_EQ(std::count(out.begin(), out.end(), 1), 300);
  EXPECT_EQ(out[300], 0);
  EXPECT_EQ(out[301], 0);
}

Bytes string_md(uint32_t uncompressed, uint32_t compressed, uint32_t n_strings) {
  Bytes md;
  put<uint32_t>(md, 0);
  put<uint32_t>(md, 1);
  put<uint32_t>(md, uncompressed);
  put<uint32_t>(md, compressed);
  put<uint32_t>(md, n_strings * 8);
  return md;
}

TEST(TiledbFilters, RunLengthStringsRebuildTheOffsets) {
  // "ab" x 2, "" x 1, "xyz" x 1 with 1-byte runs and lengths.
  Bytes data;
  for (auto [run, s] : std::vector<std::pair<int, std::string>>{{2, "ab"}, {1, ""}, {1, "xyz"}}) {
    put_be(data, static_cast<uint64_t>(run), 1);
    put_be(data, s.size(), 1);
    data.insert(data.end(), s.begin(), s.end());
  }
  Bytes md = string_md(7, static_cast<uint32_t>(data.size()), 4);
  md.push_back(1);
  md.push_back(1);
  std::vector<uint64_t> offsets;
  const Bytes out = decode(tile(7, md, data), pipeline({FilterType::Rle}), Datatype::StringAscii, &offsets);
  EXPECT_EQ(std::string(out.begin(), out.end()), "ababxyz");
  EXPECT_EQ(offsets, (std::vector<uint64_t>{0, 2, 4, 4, 7}));
}

TEST(TiledbFilters, DictionaryStringsLookUpBigEndianIds) {
  // words ["HG54", "A"], ids 0 0 1 0 (1-byte ids, 1-byte word lengths)
  Bytes dict;
  for (std::string w : {"HG54", "A"}) {
    put_be(dict, w.size(), 1);
    dict.insert(dict.end(), w.begin(), w.end());
  }
  const Bytes ids{0, 0, 1, 0};
  Bytes md = string_md(13, 4, 4);
  md.push_back(1);
  md.push_back(1);
  put<uint32_t>(md, static_cast<uint32_t>(dict.size()));
  md.insert(md.end(), dict.begin(), dict.end());
  std::vector<uint64_t> offsets;
  const Bytes out = decode(tile(13, md, ids), pipeline({FilterType::Dictionary}), Datatype::StringUtf8, &offsets);
  EXPECT_EQ(std::string(out.begin(), out.end()), "HG54HG54AHG54");
  EXPECT_EQ(offsets, (std::vector<uint64_t>{0, 4, 8, 9, 13}));
}

TEST(TiledbFilters, ChecksumsAreSkippedButTheirByteCountsChecked) {
  const Bytes data{1, 2, 3, 4};
  Bytes md;
  put<uint32_t>(md, 0);
  put<uint32_t>(md, 1);
  put<uint64_t>(md, 4);
  md.insert(md.end(), 32, 0xEE);  // a SHA-256 digest (not verified)
  EXPECT_EQ(decode(tile(4, md, data), pipeline({FilterType::ChecksumSha256}), Datatype::UInt8), data);
  Bytes bad = md;
  bad[8] = 5;  // claims 5 checksummed bytes
  EXPECT_NE(test::error_of<FormatError>([&] { decode(tile(4, bad, data), pipeline({FilterType::ChecksumSha256}), Datatype::UInt8); })
                .find("checksummed 5 bytes"),
            std::string::npos);
}

TEST(TiledbFilters, ChainedFiltersRunInReverse) {
  // BYTESHUFFLE then ZSTD on int32 {1, 2, 3}: zstd compresses the shuffled bytes and
  // byteshuffle's metadata (one metadata part, one data part).
  const Bytes shuffled{1, 2, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  Bytes shuffle_md;
  put<uint32_t>(shuffle_md, 1);
  put<uint32_t>(shuffle_md, 12);
  Bytes zmd(ZSTD_compressBound(shuffle_md.size())), zdata(ZSTD_compressBound(12));
  zmd.resize(ZSTD_compress(zmd.data(), zmd.size(), shuffle_md.data(), shuffle_md.size(), 1));
  zdata.resize(ZSTD_compress(zdata.data(), zdata.size(), shuffled.data(), shuffled.size(), 1));
  Bytes md;
  put<uint32_t>(md, 1);
  put<uint32_t>(md, 1);
  put<uint32_t>(md, static_cast<uint32_t>(shuffle_md.size()));
  put<uint32_t>(md, static_cast<uint32_t>(zmd.size()));
  put<uint32_t>(md, 12);
  put<uint32_t>(md, static_cast<uint32_t>(zdata.size()));
  Bytes data = zmd;
  data.insert(data.end(), zdata.begin(), zdata.end());
  EXPECT_EQ(as<int32_t>(decode(tile(12, md, data), pipeline({FilterType::ByteShuffle, FilterType::Zstd}), Datatype::Int32)),
            (std::vector<int32_t>{1, 2, 3}));
}

TEST(TiledbFilters, CorruptInputsAreFormatErrors) {
  const Bytes raw{1, 2, 3, 4};
  const Bytes good = tile(4, {}, raw);
  // truncated tile
  EXPECT_NE(test::error_of<FormatError>([&] { decode(Bytes(good.begin(), good.end() - 1), pipeline({}), Datatype::UInt8); })
                .find("test tile"),
            std::string::npos);
  // header length disagrees
  EXPECT_NE(test::error_of<FormatError>([&] { decode(tile(5, {}, raw), pipeline({}), Datatype::UInt8); }).find("header says 5"),
            std::string::npos);
  // unknown / unsupported filter codes
  FilterPipeline unknown;
  unknown.filters.push_back({static_cast<FilterType>(77), 0, Datatype::Any, 0});
  EXPECT_NE(test::error_of<FormatError>([&] { decode(good, unknown, Datatype::UInt8); }).find("code 77"), std::string::npos);
  EXPECT_NE(test::error_of<FormatError>([&] { decode(good, pipeline({FilterType::ScaleFloat}), Datatype::Float32); })
                .find("SCALE_FLOAT"),
            std::string::npos);
  // a compressed part that does not inflate
  EXPECT_NE(test::error_of<FormatError>([&] { decode(tile(4, one_part(4, 4), raw), pipeline({FilterType::Zstd}), Datatype::UInt8); })
                .find("ZSTD"),
            std::string::npos);
}

// Random byte mutations of a hand-made DOUBLE_DELTA tile: every mutation
// decodes or throws FormatError (any other exception fails the test). The
// file-level fuzzer over real arrays is scripts/fuzz-tiledb.sh.
TEST(TiledbFilters, MutatedTilesDecodeOrThrowFormatError) {
  // A realistic chained tile: DOUBLE_DELTA, BIT_WIDTH_REDUCTION, ZSTD over uint64 offsets.
  Bytes dd;
  dd.push_back(2);
  put<uint64_t>(dd, 4);
  put<uint64_t>(dd, 0);
  put<uint64_t>(dd, 14);
  put<uint64_t>(dd, 0b101011ull << 58);
  const Bytes inner = tile(32, one_part(32, static_cast<uint32_t>(dd.size())), dd);
  std::mt19937 rng(7);
  int ok = 0, errors = 0;
  for (int it = 0; it < 20000; ++it) {
    Bytes m = inner;
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int k = 0; k < flips; ++k) m[rng() % m.size()] = static_cast<uint8_t>(rng());
    if (rng() % 8 == 0) m.resize(rng() % m.size());
    try {
      decode(m, pipeline({FilterType::DoubleDelta}), Datatype::UInt64);
      ++ok;
    } catch (const FormatError&) {
      ++errors;
    }
  }
  EXPECT_GT(errors, 0);  // the mutations do reach the checks
  EXPECT_GT(ok, 0);      // and some still decode (e.g. flips inside the bit stream)
}

}  // namespace
}  // namespace bmfm::io::tiledb
