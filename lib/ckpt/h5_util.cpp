#include "ckpt/h5_util.h"

#include "core/error.h"
#include "core/slab.h"

namespace paramoe::h5 {

void silence_error_stack() {
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
}

std::string last_error() {
  std::string innermost;
  hid_t stack = H5Eget_current_stack();
  if (stack < 0) return "unknown HDF5 error";
  // Walking upward visits the innermost frame (where the error arose) first.
  H5Ewalk2(
      stack, H5E_WALK_UPWARD,
      [](unsigned n, const H5E_error2_t* e, void* out) -> herr_t {
        if (n == 0 && e->desc) *static_cast<std::string*>(out) = e->desc;
        return 0;
      },
      &innermost);
  H5Eclose_stack(stack);
  return innermost.empty() ? "unknown HDF5 error" : innermost;
}

void fail(const std::string& what) {
  throw Error(what + ": " + last_error());
}

Handle& Handle::operator=(Handle&& o) noexcept {
  if (this != &o) {
    reset();
    id_ = o.id_;
    close_ = o.close_;
    o.id_ = H5I_INVALID_HID;
  }
  return *this;
}

bool Handle::reset() {
  bool ok = true;
  if (id_ >= 0 && close_) ok = close_(id_) >= 0;
  id_ = H5I_INVALID_HID;
  return ok;
}

Handle checked(hid_t id, Handle::Closer close, const std::string& what) {
  if (id < 0) fail(what);
  return Handle(id, close);
}

void check(herr_t rc, const std::string& what) {
  if (rc < 0) fail(what);
}

bool attr_exists(hid_t obj, const char* name) {
  return H5Aexists(obj, name) > 0;
}

namespace {

void write_attr(hid_t obj, const char* name, hid_t type, const void* v) {
  const std::string what = std::string("attribute ") + name;
  Handle space = checked(H5Screate(H5S_SCALAR), H5Sclose, what);
  Handle attr =
      checked(H5Acreate2(obj, name, type, space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose, what);
  check(H5Awrite(attr.get(), type, v), what);
}

Handle open_attr(hid_t obj, const char* name, const std::string& what) {
  if (!attr_exists(obj, name)) throw Error(what + ": attribute '" + name + "' is missing");
  return checked(H5Aopen(obj, name, H5P_DEFAULT), H5Aclose, what + ": attribute " + name);
}

}  // namespace

void write_attr_i64(hid_t obj, const char* name, int64_t v) {
  write_attr(obj, name, H5T_NATIVE_INT64, &v);
}

void write_attr_u64(hid_t obj, const char* name, uint64_t v) {
  write_attr(obj, name, H5T_NATIVE_UINT64, &v);
}

void write_attr_string(hid_t obj, const char* name, const std::string& v) {
  const std::string what = std::string("attribute ") + name;
  Handle type = checked(H5Tcopy(H5T_C_S1), H5Tclose, what);
  check(H5Tset_size(type.get(), v.empty() ? 1 : v.size()), what);
  check(H5Tset_cset(type.get(), H5T_CSET_UTF8), what);
  write_attr(obj, name, type.get(), v.empty() ? "" : v.data());
}

int64_t read_attr_i64(hid_t obj, const char* name, const std::string& what) {
  Handle attr = open_attr(obj, name, what);
  int64_t v = 0;
  check(H5Aread(attr.get(), H5T_NATIVE_INT64, &v), what + ": attribute " + name);
  return v;
}

uint64_t read_attr_u64(hid_t obj, const char* name, const std::string& what) {
  Handle attr = open_attr(obj, name, what);
  uint64_t v = 0;
  check(H5Aread(attr.get(), H5T_NATIVE_UINT64, &v), what + ": attribute " + name);
  return v;
}

std::string read_attr_string(hid_t obj, const char* name, const std::string& what) {
  Handle attr = open_attr(obj, name, what);
  Handle type = checked(H5Aget_type(attr.get()), H5Tclose, what);
  if (H5Tget_class(type.get()) != H5T_STRING || H5Tis_variable_str(type.get()) > 0)
    throw Error(what + ": attribute '" + name + "' is not a fixed-length string");
  std::string v(H5Tget_size(type.get()), '\0');
  check(H5Aread(attr.get(), type.get(), v.data()), what + ": attribute " + name);
  while (!v.empty() && v.back() == '\0') v.pop_back();
  return v;
}

std::vector<int64_t> dataset_shape(hid_t dset, const std::string& what) {
  Handle space = checked(H5Dget_space(dset), H5Sclose, what);
  const int nd = H5Sget_simple_extent_ndims(space.get());
  if (nd < 0) fail(what);
  std::vector<hsize_t> dims(nd);
  H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr);
  return std::vector<int64_t>(dims.begin(), dims.end());
}

bool dataset_is_f32(hid_t dset) {
  Handle type(H5Dget_type(dset), H5Tclose);
  if (type.get() < 0) return false;
  return H5Tget_class(type.get()) == H5T_FLOAT && H5Tget_size(type.get()) == 4;
}

std::vector<std::string> list_datasets(hid_t file) {
  std::vector<std::string> out;
  auto visit = [](hid_t, const char* name, const H5O_info_t* info, void* op) -> herr_t {
    if (info->type == H5O_TYPE_DATASET) static_cast<std::vector<std::string>*>(op)->push_back(name);
    return 0;
  };
  check(H5Ovisit2(file, H5_INDEX_NAME, H5_ITER_INC, visit, &out, H5O_INFO_BASIC),
        "listing datasets");
  return out;
}

std::string shape_string(const std::vector<int64_t>& s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + "]";
}

SlabTransfer select_slab(hid_t fspace, const std::vector<int64_t>& offset,
                         const std::vector<int64_t>& shape, const std::vector<int64_t>& dim0,
                         bool active, const std::string& what) {
  const hsize_t n = active ? static_cast<hsize_t>(shape_numel(shape)) : 1;
  SlabTransfer t{checked(H5Screate_simple(1, &n, nullptr), H5Sclose, what),
                 checked(H5Pcreate(H5P_DATASET_XFER), H5Pclose, what)};
  if (active) {
    std::vector<hsize_t> start(offset.begin(), offset.end());
    std::vector<hsize_t> count(shape.begin(), shape.end());
    if (dim0.empty()) {
      check(
          H5Sselect_hyperslab(fspace, H5S_SELECT_SET, start.data(), nullptr, count.data(), nullptr),
          what);
    } else {
      H5S_seloper_t op = H5S_SELECT_SET;
      for (size_t i = 0; i < dim0.size();) {
        size_t j = i + 1;
        while (j < dim0.size() && dim0[j] == dim0[j - 1] + 1) ++j;
        start[0] = static_cast<hsize_t>(dim0[i]);
        count[0] = static_cast<hsize_t>(j - i);
        check(H5Sselect_hyperslab(fspace, op, start.data(), nullptr, count.data(), nullptr), what);
        op = H5S_SELECT_OR;
        i = j;
      }
    }
  } else {
    check(H5Sselect_none(fspace), what);
    check(H5Sselect_none(t.mspace.get()), what);
  }
  check(H5Pset_dxpl_mpio(t.dxpl.get(), H5FD_MPIO_COLLECTIVE), what);
  return t;
}

}  // namespace paramoe::h5
