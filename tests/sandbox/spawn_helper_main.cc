// The sandbox helper for the spawn tests: `__sandbox-exec ...` as the
// longhaul binary handles it, and nothing else, so these tests need not
// build the whole longhaul binary.
#include <cstdio>
#include <string_view>

#include "sandbox/sandbox.h"

int main(int argc, char** argv) {
  if (argc > 1 && std::string_view(argv[1]) == "__sandbox-exec") return sandbox::RunSandboxExecHelper(argc, argv);
  std::fprintf(stderr, "usage: %s __sandbox-exec ...\n", argv[0]);
  return 2;
}
