// The sandbox helper for run_command's tests: `__sandbox-exec ...` as the
// longhaul binary handles it, nothing else.
#include <cstdio>
#include <string_view>

#include "tools/shell.h"

int main(int argc, char** argv) {
  if (argc > 1 && std::string_view(argv[1]) == "__sandbox-exec") return tools::SandboxExecMain(argc, argv);
  std::fprintf(stderr, "usage: %s __sandbox-exec ...\n", argv[0]);
  return 2;
}
