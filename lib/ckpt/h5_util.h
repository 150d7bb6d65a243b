#pragma once
// Small helpers over the HDF5 C API: handles that close themselves, checked calls
// whose error names the file and object and carries HDF5's own innermost reason,
// and attribute read/write. HDF5's automatic error-stack printing is switched off:
// users get one line, not a stack.
#include <hdf5.h>

#include <cstdint>
#include <string>
#include <vector>

namespace paramoe::h5 {

void silence_error_stack();

// HDF5's innermost error description ("errno = 28, error message = 'No space left
// on device'"), then clears the stack.
std::string last_error();

[[noreturn]] void fail(const std::string& what);  // what + ": " + last_error()

// An hid_t that is closed with the right H5?close when it goes out of scope.
class Handle {
 public:
  using Closer = herr_t (*)(hid_t);
  Handle() = default;
  Handle(hid_t id, Closer close) : id_(id), close_(close) {}
  Handle(Handle&& o) noexcept : id_(o.id_), close_(o.close_) { o.id_ = H5I_INVALID_HID; }
  Handle& operator=(Handle&& o) noexcept;
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  ~Handle() { reset(); }
  hid_t get() const { return id_; }
  // Closes now; returns false if HDF5 reported an error (e.g. a failed final flush).
  bool reset();

 private:
  hid_t id_ = H5I_INVALID_HID;
  Closer close_ = nullptr;
};

// Checked constructors: `what` names the object for the error message.
Handle checked(hid_t id, Handle::Closer close, const std::string& what);
void check(herr_t rc, const std::string& what);

bool attr_exists(hid_t obj, const char* name);
void write_attr_i64(hid_t obj, const char* name, int64_t v);
void write_attr_u64(hid_t obj, const char* name, uint64_t v);
void write_attr_string(hid_t obj, const char* name, const std::string& v);
int64_t read_attr_i64(hid_t obj, const char* name, const std::string& what);
uint64_t read_attr_u64(hid_t obj, const char* name, const std::string& what);
std::string read_attr_string(hid_t obj, const char* name, const std::string& what);

// The shape of a dataset's dataspace.
std::vector<int64_t> dataset_shape(hid_t dset, const std::string& what);
// True if the dataset holds 32-bit IEEE floats (either byte order).
bool dataset_is_f32(hid_t dset);

// Every dataset under `root`, as paths relative to it without a leading '/'.
std::vector<std::string> list_datasets(hid_t file);

std::string shape_string(const std::vector<int64_t>& s);

// One rank's part of a collective transfer of a dataset: the hyperslab
// [offset, offset + shape) of the file space — or, with dim0 (core/slab.h), the
// union of the dimension-0 runs it lists, which keeps file order equal to the
// packed memory order because dim0 is ascending — (or nothing, when !active, since
// every rank must still join the collective call), a packed 1-D memory space and
// a collective transfer list.
struct SlabTransfer {
  Handle mspace, dxpl;
};
SlabTransfer select_slab(hid_t fspace, const std::vector<int64_t>& offset,
                         const std::vector<int64_t>& shape, const std::vector<int64_t>& dim0,
                         bool active, const std::string& what);

}  // namespace paramoe::h5
