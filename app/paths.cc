#include "app/paths.h"

#include <stdlib.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

namespace gc {
namespace {

// realpath(3), or "" when the path cannot be resolved.
std::string Real(const std::string& path) {
  std::unique_ptr<char, decltype(&free)> p(realpath(path.c_str(), nullptr), &free);
  return p ? std::string(p.get()) : std::string();
}

}  // namespace

constexpr std::string_view kNamed = "name:";

std::string ListIdentity(const std::string& list, const std::string& name) {
  // A resolved path is absolute and "-" is stdin: neither starts with "name:".
  if (!name.empty()) return std::string(kNamed) + name;
  if (list == "-") return list;
  std::string real = Real(list);
  if (!real.empty()) return real;
  std::error_code ec;
  auto abs = std::filesystem::absolute(list, ec);
  return ec ? list : abs.lexically_normal().string();
}

std::string ListNameOf(const std::string& identity) {
  return identity.rfind(kNamed, 0) == 0 ? identity.substr(kNamed.size()) : std::string();
}

std::string NotAList(const std::string& list) {
  struct stat st {};
  if (list == "-" || stat(list.c_str(), &st) != 0) return "";
  if (S_ISDIR(st.st_mode)) return list + " is a directory, not a list of URLs";
  return "";
}

std::string ResolvedDatabase(const std::string& db) {
  std::string real = Real(db);
  if (!real.empty()) return real;
  std::filesystem::path p(db);
  std::string dir = p.has_parent_path() ? p.parent_path().string() : ".";
  std::string real_dir = Real(dir);
  if (real_dir.empty()) {
    throw std::runtime_error("cannot create database " + db + ": no directory " + dir + " (" +
                             std::strerror(errno) + ")");
  }
  return real_dir + "/" + p.filename().string();
}

}  // namespace gc
