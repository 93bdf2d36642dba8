// h5py's LZF compression filter (HDF5 filter id 32000), registered in-process.
//
// Debian's hdf5-plugin-lzf cannot be dlopen'ed on its own (it leaves
// lzf_decompress undefined), so instead of relying on HDF5's plugin search we
// register our own filter backed by liblzf before any file is opened.
// h5py's cd_values layout: {filter revision, LZF API version, chunk bytes}.
#include <lzf.h>

#include <algorithm>
#include <cerrno>
#include <climits>

#include "hdf5_util.h"

namespace bmfm::io::h5 {

namespace {

constexpr unsigned kFilterRevision = 4;
constexpr size_t kMaxChunkBytes = size_t{1} << 31;

size_t lzf_decompress_chunk(size_t n_cd, const unsigned cd[], size_t nbytes, size_t* buf_size, void** buf) {
  if (nbytes > UINT_MAX) return 0;
  // The uncompressed chunk size is stored at set_local time; older writers
  // left it 0, so fall back to growing the output buffer.
  const bool known = n_cd >= 3 && cd[2] != 0;
  size_t cap = known ? cd[2] : std::max<size_t>(*buf_size, nbytes) * 2;
  while (cap <= kMaxChunkBytes) {
    void* out = H5allocate_memory(cap, false);
    if (!out) return 0;
    errno = 0;
    unsigned got = lzf_decompress(*buf, static_cast<unsigned>(nbytes), out, static_cast<unsigned>(cap));
    if (got > 0) {
      H5free_memory(*buf);
      *buf = out;
      *buf_size = cap;
      return got;
    }
    H5free_memory(out);
    if (errno != E2BIG || known) return 0;  // corrupt data: HDF5 reports a filter failure
    cap *= 2;
  }
  return 0;
}

size_t lzf_compress_chunk(size_t nbytes, size_t* buf_size, void** buf) {
  if (nbytes == 0 || nbytes > UINT_MAX) return 0;
  // No room to grow: incompressible chunks make lzf_compress return 0, and
  // the filter is optional, so HDF5 stores those chunks uncompressed.
  void* out = H5allocate_memory(nbytes, false);
  if (!out) return 0;
  unsigned got = lzf_compress(*buf, static_cast<unsigned>(nbytes), out, static_cast<unsigned>(nbytes));
  if (got == 0) {
    H5free_memory(out);
    return 0;
  }
  H5free_memory(*buf);
  *buf = out;
  *buf_size = nbytes;
  return got;
}

size_t lzf_filter(unsigned flags, size_t n_cd, const unsigned cd[], size_t nbytes, size_t* buf_size, void** buf) {
  if (flags & H5Z_FLAG_REVERSE) return lzf_decompress_chunk(n_cd, cd, nbytes, buf_size, buf);
  return lzf_compress_chunk(nbytes, buf_size, buf);
}

herr_t lzf_set_local(hid_t dcpl, hid_t type, hid_t) {
  unsigned flags = 0;
  size_t n_cd = 8;
  unsigned cd[8] = {0};
  if (H5Pget_filter_by_id2(dcpl, kLzfFilter, &flags, &n_cd, cd, 0, nullptr, nullptr) < 0) return -1;
  hsize_t chunk[H5S_MAX_RANK];
  int rank = H5Pget_chunk(dcpl, H5S_MAX_RANK, chunk);
  if (rank < 0) return -1;
  size_t bytes = H5Tget_size(type);
  for (int i = 0; i < rank; ++i) bytes *= static_cast<size_t>(chunk[i]);
  if (bytes == 0 || bytes > UINT_MAX) return -1;
  const unsigned values[3] = {kFilterRevision, LZF_VERSION, static_cast<unsigned>(bytes)};
  return H5Pmodify_filter(dcpl, kLzfFilter, flags, 3, values);
}

}  // namespace

void register_lzf_filter() {
  static const H5Z_class2_t lzf_class = {
      H5Z_CLASS_T_VERS, kLzfFilter, 1, 1, "lzf", nullptr, lzf_set_local, lzf_filter,
  };
  H5Zregister(&lzf_class);
}

}  // namespace bmfm::io::h5
