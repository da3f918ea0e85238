#include "app/output_file.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <stdexcept>

namespace gc {

void WriteOutput(const std::string& output, std::ostream& out, const std::function<void(std::ostream&)>& write) {
  if (output.empty() || output == "-") {
    write(out);
    out.flush();
    if (!out) throw std::runtime_error("cannot write to standard output");
    return;
  }
  std::string tmp = output + ".partial";
  try {
    std::ofstream file(tmp, std::ios::binary | std::ios::trunc);
    if (!file) throw std::runtime_error("cannot write " + tmp + ": " + std::strerror(errno));
    write(file);
    file.flush();
    if (!file) throw std::runtime_error("cannot write " + tmp + ": " + std::strerror(errno));
  } catch (...) {
    std::remove(tmp.c_str());
    throw;
  }
  if (std::rename(tmp.c_str(), output.c_str()) != 0) {
    int e = errno;
    std::remove(tmp.c_str());
    throw std::runtime_error("cannot write " + output + ": " + std::strerror(e));
  }
}

}  // namespace gc
