#include "crawler/credentials.h"

#include <cctype>

namespace gc {
namespace {

std::string LowerName(std::string_view line) {
  std::string name(line.substr(0, line.find(':')));
  while (!name.empty() && std::isspace(static_cast<unsigned char>(name.back()))) name.pop_back();
  for (char& c : name) c = char(std::tolower(static_cast<unsigned char>(c)));
  return name;
}

}  // namespace

bool IsCredentialHeader(std::string_view line) {
  std::string name = LowerName(line);
  if (name == "authorization" || name == "proxy-authorization" || name == "cookie") return true;
  for (const char* word : {"token", "secret", "api-key", "apikey", "auth", "password", "session"}) {
    if (name.find(word) != std::string::npos) return true;
  }
  return false;
}

std::string RedactHeader(std::string_view line) {
  if (!IsCredentialHeader(line)) return std::string(line);
  return std::string(line.substr(0, line.find(':'))) + ": <redacted>";
}

}  // namespace gc
