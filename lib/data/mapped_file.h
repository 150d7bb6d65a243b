#pragma once
// A read-only file mapped into memory, so that a data shard of any size costs no
// copy and every rank's pages are shared by the OS. Opening names the file and
// what was expected of it when it cannot be read.
#include <cstddef>
#include <cstdint>
#include <string>

namespace paramoe {

class MappedFile {
 public:
  // what: the kind of file ("token file"); expected: what it should have been, for
  // the message ("a .bin shard or a text file").
  MappedFile(const std::string& path, const std::string& what, const std::string& expected);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const uint8_t* data() const { return static_cast<const uint8_t*>(map_); }
  size_t size() const { return bytes_; }

 private:
  void* map_ = nullptr;
  size_t bytes_ = 0;
};

}  // namespace paramoe
