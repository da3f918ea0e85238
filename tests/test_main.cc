#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <clocale>

int main(int argc, char** argv) {
  std::setlocale(LC_CTYPE, "C.UTF-8");  // as greencrawl's main does: IDN hosts need a UTF-8 LC_CTYPE
  doctest::Context context(argc, argv);
  return context.run();
}
