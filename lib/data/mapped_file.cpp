#include "data/mapped_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/error.h"

namespace paramoe {

MappedFile::MappedFile(const std::string& path, const std::string& what,
                       const std::string& expected) {
  // Every rank opens the same file, so every rank raises the same error.
  const int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0)
    throw_collective(path + ": cannot open " + what + " (" + std::strerror(errno) + "); expected " +
                     expected);
  struct stat st {};
  ::fstat(fd, &st);
  bytes_ = static_cast<size_t>(st.st_size);
  if (bytes_ > 0) {
    map_ = ::mmap(nullptr, bytes_, PROT_READ, MAP_PRIVATE, fd, 0);
    if (map_ == MAP_FAILED) {
      ::close(fd);
      map_ = nullptr;
      throw_collective(path + ": mmap failed (" + std::strerror(errno) + ")");
    }
  }
  ::close(fd);
}

MappedFile::~MappedFile() {
  if (map_) ::munmap(map_, bytes_);
}

}  // namespace paramoe
