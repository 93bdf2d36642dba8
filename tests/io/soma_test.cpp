// TileDB-SOMA experiments and the other TileDB fixtures of
// ../shared/data/tiledb, read completely.
//
// Expected values for pbmc_small (80 cells x 230 genes) come from Debian's
// r-cran-seuratobject 4.1.3 (`data(pbmc_small)`), written once by Rscript into
// tests/io/fixtures/pbmc_small_{counts,obs}.tsv and pbmc_small_genes.txt (the
// commands are in the files' headers); the pbmc3k values are those printed by
// Seurat's pbmc3k tutorial (head(pbmc@meta.data)).
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <gtest/gtest.h>

#include "bmfm/io/cell_reader.h"
#include "bmfm/io/soma.h"
#include "bmfm/io/tiledb.h"
#include "test_util.h"

namespace bmfm::io {
namespace {

namespace fs = std::filesystem;

// Extracts a fixture archive of ../shared/data/tiledb once per test binary.
std::string extracted(const std::string& archive) {
  static std::map<std::string, std::string> done;
  if (done.count(archive)) return done[archive];
  const std::string src = test::data_path("tiledb/" + archive);
  const std::string dir = test::temp_dir("tiledb-" + fs::path(archive).stem().string());
  const std::string cmd = "tar xzf '" + src + "' -C '" + dir + "'";
  if (std::system(cmd.c_str()) != 0) throw std::runtime_error("cannot extract " + src);
  return done[archive] = dir;
}

#define REQUIRE_TILEDB(archive) BMFM_REQUIRE_DATA("tiledb/" archive)

struct Triplet {
  int gene, cell;
  float count;
};
std::vector<Triplet> r_counts() {
  std::ifstream in(std::string(BMFM_TEST_SOURCE_DIR) + "/tests/io/fixtures/pbmc_small_counts.tsv");
  std::vector<Triplet> t;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream s(line);
    Triplet x{};
    s >> x.gene >> x.cell >> x.count;
    t.push_back({x.gene - 1, x.cell - 1, x.count});
  }
  return t;
}
std::vector<std::vector<std::string>> r_obs() {
  std::ifstream in(std::string(BMFM_TEST_SOURCE_DIR) + "/tests/io/fixtures/pbmc_small_obs.tsv");
  std::vector<std::vector<std::string>> rows;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> f;
    std::string cell;
    std::istringstream s(line);
    while (std::getline(s, cell, '\t')) f.push_back(cell);
    rows.push_back(f);
  }
  return rows;
}

void expect_pbmc_small(const CellReader& r) {
  ASSERT_EQ(r.n_obs(), 80);
  ASSERT_EQ(r.n_vars(), 230);
  EXPECT_EQ(r.format(), "soma");
  // X (counts layer) equals the Seurat object's counts, entry for entry.
  const CsrMatrix X = r.read_matrix("X");
  X.validate("X");
  std::vector<float> dense(80 * 230, 0.0f), expected(80 * 230, 0.0f);
  for (int64_t c = 0; c < 80; ++c)
    for (int64_t k = X.indptr[c]; k < X.indptr[c + 1]; ++k) dense[c * 230 + X.indices[k]] = X.data[k];
  const auto t = r_counts();
  ASSERT_EQ(t.size(), 4456u);
  for (const auto& x : t) expected[x.cell * 230 + x.gene] = x.count;
  EXPECT_EQ(X.nnz(), 4456);
  EXPECT_EQ(dense, expected);
  // obs
  const DataFrame obs = r.read_obs();
  const auto ro = r_obs();
  ASSERT_EQ(ro.size(), 80u);
  EXPECT_EQ(obs.index_name, "obs_id");
  const Column& ncount = obs.at("nCount_RNA");
  const Column& nfeat = obs.at("nFeature_RNA");
  const Column& letters = obs.at("letter.idents");
  const Column& groups = obs.at("groups");
  const Column& res08 = obs.at("RNA_snn_res.0.8");
  EXPECT_EQ(letters.kind, Column::Kind::Categorical);
  EXPECT_EQ(letters.categories, (std::vector<std::string>{"A", "B"}));
  EXPECT_EQ(groups.kind, Column::Kind::String);
  for (size_t i = 0; i < 80; ++i) {
    SCOPED_TRACE(ro[i][0]);
    EXPECT_EQ(obs.index[i], ro[i][0]);
    EXPECT_DOUBLE_EQ(ncount.numeric[i], std::stod(ro[i][2]));
    EXPECT_EQ(nfeat.integer[i], std::stoll(ro[i][3]));
    EXPECT_EQ(res08.text(static_cast<int64_t>(i)), ro[i][4]);
    EXPECT_EQ(letters.text(static_cast<int64_t>(i)), ro[i][5]);
    EXPECT_EQ(groups.text(static_cast<int64_t>(i)), ro[i][6]);
    EXPECT_EQ(obs.at("RNA_snn_res.1").text(static_cast<int64_t>(i)), ro[i][7]);
  }
  // nCount_RNA / nFeature_RNA are the row sums / row nnz of X (Seurat computed them).
  for (int64_t c = 0; c < 80; ++c) {
    double sum = 0;
    for (int64_t k = X.indptr[c]; k < X.indptr[c + 1]; ++k) sum += X.data[k];
    EXPECT_EQ(sum, ncount.numeric[static_cast<size_t>(c)]);
    EXPECT_EQ(X.indptr[c + 1] - X.indptr[c], nfeat.integer[static_cast<size_t>(c)]);
  }
  // var: gene names in Seurat's order
  const DataFrame var = r.read_var();
  std::ifstream genes(std::string(BMFM_TEST_SOURCE_DIR) + "/tests/io/fixtures/pbmc_small_genes.txt");
  std::vector<std::string> names;
  std::string g;
  while (std::getline(genes, g))
    if (!g.empty() && g[0] != '#') names.push_back(g);
  EXPECT_EQ(var.index, names);
  // layers and obsm
  EXPECT_EQ(r.layer_names(), (std::vector<std::string>{"data", "scale_data"}));
  EXPECT_TRUE(r.has_matrix("layers/data"));
  EXPECT_FALSE(r.has_matrix("layers/counts"));  // the primary layer is X
  EXPECT_EQ(r.obsm_keys(), (std::vector<std::string>{"X_pca", "X_tsne"}));
  const DenseMatrix pca = r.read_obsm("X_pca");
  EXPECT_EQ(pca.n_rows, 80);
  EXPECT_EQ(pca.n_cols, 19);
  // data = log1p(counts / nCount * 1e4) (Seurat's LogNormalize), checked on every stored value
  const CsrMatrix D = r.read_matrix("layers/data");
  ASSERT_EQ(D.nnz(), X.nnz());
  for (int64_t c = 0; c < 80; ++c)
    for (int64_t k = X.indptr[c]; k < X.indptr[c + 1]; ++k) {
      ASSERT_EQ(D.indices[k], X.indices[k]);
      EXPECT_NEAR(D.data[k], std::log1p(X.data[k] / ncount.numeric[static_cast<size_t>(c)] * 1e4), 1e-5);
    }
}

TEST(SomaExperiment, PbmcSmallEqualsTheSeuratObject) {
  REQUIRE_TILEDB("soma/soma-exp-pbmc-small.tar.gz");
  const std::string dir = extracted("soma/soma-exp-pbmc-small.tar.gz");
  ASSERT_TRUE(is_soma_experiment(dir));
  SomaExperiment exp(dir);
  EXPECT_EQ(exp.measurement(), "RNA");
  EXPECT_EQ(exp.primary_layer(), "counts");
  expect_pbmc_small(exp);
  // The 1.15+ shape is the schema's current domain.
  const tiledb::Array X(dir + "/ms/RNA/X/counts");
  ASSERT_EQ(X.schema().current_domain.size(), 2u);
  EXPECT_EQ(X.schema().current_domain[0].hi_int(tiledb::Datatype::Int64), 79);
  EXPECT_EQ(X.schema().current_domain[1].hi_int(tiledb::Datatype::Int64), 229);
}

TEST(SomaExperiment, Pre115EncodingKeepsTheShapeInMetadata) {
  REQUIRE_TILEDB("soma/soma-exp-pbmc-small-pre-1.15.tar.gz");
  const std::string dir = extracted("soma/soma-exp-pbmc-small-pre-1.15.tar.gz");
  SomaExperiment exp(dir);
  expect_pbmc_small(exp);
  const tiledb::Array X(dir + "/ms/RNA/X/counts");
  EXPECT_TRUE(X.schema().current_domain.empty());
  EXPECT_EQ(X.metadata().at("soma_dim_0_domain_upper").as_int(), 79);
  EXPECT_EQ(X.metadata().at("soma_dim_1_domain_upper").as_int(), 229);
  EXPECT_EQ(tiledb::read_metadata(dir).at("soma_encoding_version").as_string(), "1");
}

TEST(SomaExperiment, RowChunksEqualTheWholeMatrix) {
  REQUIRE_TILEDB("soma/soma-exp-pbmc-small.tar.gz");
  SomaExperiment exp(extracted("soma/soma-exp-pbmc-small.tar.gz"));
  const CsrMatrix all = exp.read_matrix("X");
  for (int64_t b = 0; b < 80; b += 7) {
    const int64_t e = std::min<int64_t>(80, b + 7);
    const CsrMatrix part = exp.read_matrix("X", b, e);
    ASSERT_EQ(part.n_rows, e - b);
    for (int64_t r = 0; r < e - b; ++r) {
      const int64_t len = part.indptr[r + 1] - part.indptr[r];
      ASSERT_EQ(len, all.indptr[b + r + 1] - all.indptr[b + r]);
      for (int64_t k = 0; k < len; ++k) {
        EXPECT_EQ(part.indices[part.indptr[r] + k], all.indices[all.indptr[b + r] + k]);
        EXPECT_EQ(part.data[part.indptr[r] + k], all.data[all.indptr[b + r] + k]);
      }
    }
  }
  EXPECT_THROW(exp.read_matrix("X", 70, 81), std::out_of_range);
  EXPECT_NE(test::error_of<FormatError>([&] { exp.read_matrix("layers/nope"); }).find("has: X (counts), layers/data"),
            std::string::npos);
}

TEST(SomaExperiment, ObsFilterSelectsTheSameCellsAsTheSeuratMetadata) {
  REQUIRE_TILEDB("soma/soma-exp-pbmc-small.tar.gz");
  OpenOptions o;
  o.obs_filter = "groups == 'g1' and nCount_RNA > 100 and letter.idents in ['A', 'B']";
  const auto r = open_cells(extracted("soma/soma-exp-pbmc-small.tar.gz"), o);
  // Selected by hand from pbmc_small_obs.tsv (awk '$7=="g1" && $3>100'): 37 cells.
  std::vector<std::string> expected;
  std::vector<int64_t> rows;
  const auto ro = r_obs();
  for (size_t i = 0; i < ro.size(); ++i)
    if (ro[i][6] == "g1" && std::stod(ro[i][2]) > 100) {
      expected.push_back(ro[i][0]);
      rows.push_back(static_cast<int64_t>(i));
    }
  ASSERT_EQ(expected.size(), 37u);
  EXPECT_EQ(r->n_obs(), 37);
  EXPECT_EQ(r->read_obs().index, expected);
  const CsrMatrix sel = r->read_matrix("X", 0, -1);
  SomaExperiment full(extracted("soma/soma-exp-pbmc-small.tar.gz"));
  const CsrMatrix all = full.read_matrix("X");
  for (size_t i = 0; i < rows.size(); ++i)
    EXPECT_EQ(sel.indptr[i + 1] - sel.indptr[i], all.indptr[rows[i] + 1] - all.indptr[rows[i]]);
}

TEST(SomaExperiment, ObsColumnsReadOnlyWhatIsAsked) {
  REQUIRE_TILEDB("soma/soma-exp-pbmc-small.tar.gz");
  SomaExperiment exp(extracted("soma/soma-exp-pbmc-small.tar.gz"));
  const DataFrame obs = exp.read_obs_columns({"groups", "obs_id"});  // the index name is skipped
  ASSERT_EQ(obs.columns.size(), 1u);
  EXPECT_EQ(obs.columns[0].name, "groups");
  EXPECT_EQ(obs.index.size(), 80u);
  EXPECT_EQ(obs.index[0], "ATGCCAGAACGACT");
  EXPECT_NE(test::error_of<FormatError>([&] { exp.read_obs_columns({"tissue"}); }).find("no column 'tissue' (its columns: orig.ident"),
            std::string::npos);
}

TEST(SomaExperiment, RefusesWhatIsNotAnExperiment) {
  REQUIRE_TILEDB("soma/soma-dataframe-pbmc3k-processed-obs.tar.gz");
  const std::string df = extracted("soma/soma-dataframe-pbmc3k-processed-obs.tar.gz");
  EXPECT_FALSE(is_soma_experiment(df));
  EXPECT_NE(test::error_of<FormatError>([&] { open_cells(df); }).find("soma_object_type SOMADataFrame"), std::string::npos);
  const std::string exp = extracted("soma/soma-exp-pbmc-small.tar.gz");
  EXPECT_NE(test::error_of<FormatError>([&] { SomaExperiment(exp, "ATAC"); }).find("no measurement 'ATAC' (has: RNA)"),
            std::string::npos);
  EXPECT_NE(test::error_of<FormatError>([&] { open_cells(exp + "/ms"); }).find("not a SOMA experiment"), std::string::npos);
}

TEST(SomaDataFrame, Pbmc3kObsWithEnumerationsAndTwoSchemas) {
  REQUIRE_TILEDB("soma/soma-dataframe-pbmc3k-processed-obs.tar.gz");
  const tiledb::Array a(extracted("soma/soma-dataframe-pbmc3k-processed-obs.tar.gz"));
  // Schema evolution: the fragment was written with the older of the two schemas
  // (the later one extended the enumerations); it is decoded with its own.
  ASSERT_EQ(a.schemas().size(), 2u);
  ASSERT_EQ(a.fragments().size(), 1u);
  EXPECT_EQ("__schema/" + a.fragments()[0].schema, a.schemas()[0].file);
  EXPECT_NE(a.schemas()[0].file, a.schemas()[1].file);
  const DataFrame df = read_soma_dataframe(a, {"obs_id"});
  ASSERT_EQ(df.n_rows(), 2638);
  EXPECT_EQ(df.index[0], "AAACATACAACCAC");
  EXPECT_EQ(df.at("nCount_RNA").numeric[0], 2419);
  EXPECT_EQ(df.at("nFeature_RNA").integer[0], 779);
  EXPECT_NEAR(df.at("percent.mt").numeric[0], 3.0177759, 1e-6);
  const Column& ann = df.at("seurat_annotations");
  EXPECT_EQ(ann.categories.size(), 9u);
  EXPECT_EQ(ann.text(0), "Memory CD4 T");
  EXPECT_EQ(ann.categories[0], "Naive CD4 T");
}

TEST(SomaDataFrame, StringDimensionsAreColumns) {
  REQUIRE_TILEDB("soma/nonstandard-dataframe-without-shapes.tgz");
  const tiledb::Array a(extracted("soma/nonstandard-dataframe-without-shapes.tgz"));
  ASSERT_EQ(a.schema().dims.size(), 3u);
  EXPECT_TRUE(a.schema().dims[2].var());
  const tiledb::ReadResult r = a.read();
  EXPECT_EQ(r.n, 2u);
  const DataFrame df = read_soma_dataframe(a, {});
  EXPECT_EQ(df.n_rows(), 2);
}

TEST(TiledbArray, MultiFragmentMultiTileStringDimensions) {
  REQUIRE_TILEDB("tiledbvcf-test-arrays.tar.gz");
  const std::string root = extracted("tiledbvcf-test-arrays.tar.gz") + "/arrays";
  const tiledb::Array a(root + "/largebedarray");
  EXPECT_EQ(a.schema().version, 21u);
  ASSERT_EQ(a.fragments().size(), 2u);
  EXPECT_EQ(a.fragments()[1].n_tiles, 50u);
  const tiledb::ReadResult r = a.read({"chrom", "chromStart", "chromEnd", "thickStart", "label"});
  ASSERT_EQ(r.n, 509970u);
  // BED invariants (independent of the decoder): start < end, thickStart = start,
  // chromosomes named chr*, ChromHMM state labels "<n>_<name>".
  const auto& s = r.at("chromStart");
  const auto& e = r.at("chromEnd");
  for (uint64_t i = 0; i < r.n; ++i) {
    ASSERT_LT(s.value<uint64_t>(i), e.value<uint64_t>(i)) << i;
    ASSERT_EQ(static_cast<int64_t>(s.value<uint64_t>(i)), r.at("thickStart").value<int64_t>(i)) << i;
    ASSERT_EQ(r.at("chrom").string(i).rfind("chr", 0), 0u) << i;
    const std::string label = r.at("label").string(i);
    ASSERT_NE(label.find('_'), std::string::npos) << i;
  }
}

TEST(TiledbArray, ConsolidatedFragmentsReplaceTheOnesInTheirTimeRangeAndVacuumedOnesAreSkipped) {
  REQUIRE_TILEDB("tiledbvcf-test-arrays.tar.gz");
  const std::string src = extracted("tiledbvcf-test-arrays.tar.gz") + "/arrays/largebedarray";
  const std::string a = test::temp_dir("consolidated") + "/largebedarray";
  fs::copy(src, a, fs::copy_options::recursive);
  // A "consolidated" fragment spanning both writes' timestamps (here: a copy of
  // the 9,970-cell one), committed through a consolidated-commits (.con) file.
  const std::string first = "__1706813523990_1706813523990_40565d50e72b402105d07b7d1e8de386_21";
  const std::string merged = "__1706813523990_1706813524799_0123456789abcdef0123456789abcdef_21";
  fs::copy(a + "/__fragments/" + first, a + "/__fragments/" + merged, fs::copy_options::recursive);
  std::ofstream(a + "/__commits/__1706813524800_1706813524800_00000000000000000000000000000001_21.con")
      << "__fragments/" << merged << "\n";
  const tiledb::Array x(a);
  ASSERT_EQ(x.fragments().size(), 1u);
  EXPECT_EQ(x.fragments()[0].name, merged);
  EXPECT_EQ(x.read({"chromStart"}).n, 9970u);  // duplicates are allowed: the two originals would add 509,970
  // Vacuuming the merged fragment brings the two originals back.
  std::ofstream(a + "/__commits/__1706813524801_1706813524801_00000000000000000000000000000002_21.vac")
      << "file:///somewhere/largebedarray/__fragments/" << merged << "\n";
  EXPECT_EQ(tiledb::Array(a).read({"chromStart"}).n, 509970u);
}

TEST(TiledbArray, VcfGroupWithRleDictionaryAndChecksums) {
  REQUIRE_TILEDB("tiledbvcf-test-arrays.tar.gz");
  const std::string root = extracted("tiledbvcf-test-arrays.tar.gz") + "/arrays";
  const tiledb::Group g = tiledb::read_group(root + "/new_format");
  EXPECT_EQ(g.metadata.at("dataset_type").as_string(), "vcf");
  ASSERT_EQ(g.members.size(), 5u);
  for (const auto& m : g.members) {
    if (m.is_group) continue;
    const tiledb::Array a(m.path);
    EXPECT_EQ(a.schema().version, 22u) << m.name;
    const tiledb::ReadResult r = a.read();
    EXPECT_EQ(r.n, a.n_cells()) << m.name;  // no duplicates removed: every stored cell read
  }
  EXPECT_EQ(tiledb::Array(root + "/new_format/data").read().n, 70u);
  EXPECT_EQ(tiledb::Array(root + "/bed_array").schema().version, 20u);
  EXPECT_EQ(tiledb::Array(root + "/bed_array").read().n, 2u);
}

TEST(TiledbArray, RangeReadsPruneTilesByTheirMbrs) {
  REQUIRE_TILEDB("soma/soma-exp-pbmc-small.tar.gz");
  const tiledb::Array X(extracted("soma/soma-exp-pbmc-small.tar.gz") + "/ms/RNA/X/counts");
  const auto r = X.read({"soma_dim_0"}, 10, 12);
  const auto t = r_counts();
  EXPECT_EQ(r.n, static_cast<uint64_t>(std::count_if(t.begin(), t.end(), [](const Triplet& x) { return x.cell >= 10 && x.cell <= 12; })));
  EXPECT_EQ(X.read({"soma_dim_0"}, 1000, 2000).n, 0u);
}

TEST(TiledbArray, CoreTestInputsAndRefusals) {
  REQUIRE_TILEDB("tiledb-core-test-inputs.tar.gz");
  const std::string root = extracted("tiledb-core-test-inputs.tar.gz") + "/inputs";
  const tiledb::Group g = tiledb::read_group(root + "/groups/group_v1");
  ASSERT_EQ(g.members.size(), 1u);
  EXPECT_EQ(g.members[0].name, "subgroup1");
  EXPECT_TRUE(g.members[0].is_group);
  EXPECT_EQ(tiledb::Array(root + "/arrays/zero_var_chunks_v10").read().n, 1u);
  EXPECT_EQ(tiledb::Array(root + "/arrays/sparse_array_v11").read().n, 0u);
  EXPECT_NE(test::error_of<FormatError>([&] { tiledb::Array(root + "/arrays/experimental_array_vUINT32_MAX"); })
                .find("format version 4294967295 is newer"),
            std::string::npos);
  for (const char* legacy : {"dense_array_v1_3_0", "non_split_coords_v1_4_0"})
    EXPECT_NE(test::error_of<FormatError>([&] { tiledb::Array(root + "/arrays/" + legacy); }).find("format version < 10"),
              std::string::npos)
        << legacy;
}

TEST(TiledbGroup, GroupsWithoutMemberListsListTheirSubfolders) {
  REQUIRE_TILEDB("soma/soma-exp-pbmc-small.tar.gz");
  const std::string g = test::temp_dir("legacy-group") + "/g";
  fs::create_directories(g);
  std::ofstream(g + "/__tiledb_group.tdb").close();
  fs::copy(extracted("soma/soma-exp-pbmc-small.tar.gz") + "/obs", g + "/obs", fs::copy_options::recursive);
  fs::create_directories(g + "/not_tiledb");
  const tiledb::Group group = tiledb::read_group(g);
  ASSERT_EQ(group.members.size(), 1u);
  EXPECT_EQ(group.members[0].name, "obs");
  EXPECT_FALSE(group.members[0].is_group);
}

// Copies the pbmc_small X array so a test can damage it.
std::string damaged_copy(const std::string& tag) {
  const std::string src = extracted("soma/soma-exp-pbmc-small.tar.gz") + "/ms/RNA/X/counts";
  const std::string dst = test::temp_dir(tag) + "/counts";
  fs::copy(src, dst, fs::copy_options::recursive);
  return dst;
}
std::string fragment_dir(const std::string& array) {
  for (const auto& e : fs::directory_iterator(array + "/__fragments")) return e.path().string();
  return "";
}

TEST(TiledbArray, CorruptFilesAreNamedInErrors) {
  REQUIRE_TILEDB("soma/soma-exp-pbmc-small.tar.gz");
  {  // bad footer length
    const std::string a = damaged_copy("bad-footer");
    const std::string meta = fragment_dir(a) + "/__fragment_metadata.tdb";
    std::fstream f(meta, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(-8, std::ios::end);
    const uint64_t huge = 1ull << 40;
    f.write(reinterpret_cast<const char*>(&huge), 8);
    f.close();
    EXPECT_NE(test::error_of<FormatError>([&] { tiledb::Array x(a); }).find("bad footer length"), std::string::npos);
  }
  {  // truncated data tile
    const std::string a = damaged_copy("truncated-tile");
    const std::string d0 = fragment_dir(a) + "/d0.tdb";
    fs::resize_file(d0, fs::file_size(d0) / 2);
    const tiledb::Array x(a);
    const std::string msg = test::error_of<FormatError>([&] { x.read(); });
    EXPECT_NE(msg.find("d0.tdb"), std::string::npos) << msg;
  }
  {  // a fragment of an unknown (newer) format version
    const std::string a = damaged_copy("new-version");
    const std::string frag = fragment_dir(a);
    const std::string name = fs::path(frag).filename().string();
    const std::string renamed = name.substr(0, name.size() - 2) + "23";
    fs::rename(frag, a + "/__fragments/" + renamed);
    fs::rename(a + "/__commits/" + name + ".wrt", a + "/__commits/" + renamed + ".wrt");
    EXPECT_NE(test::error_of<FormatError>([&] { tiledb::Array x(a); }).find("format version 23, newer"), std::string::npos);
  }
  {  // an uncommitted fragment is ignored
    const std::string a = damaged_copy("uncommitted");
    for (const auto& e : fs::directory_iterator(a + "/__commits")) fs::remove(e.path());
    EXPECT_EQ(tiledb::Array(a).read().n, 0u);
  }
}

}  // namespace
}  // namespace bmfm::io
