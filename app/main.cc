#include <clocale>

#include "app/cli.h"

int main(int argc, char** argv) {
  // libidn2 reads host names in the locale's charset: IDN hosts need a UTF-8 LC_CTYPE (urls/url.h).
  std::setlocale(LC_CTYPE, "C.UTF-8");
  return gc::RunCli(argc, argv);
}
