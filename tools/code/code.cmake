# tools/code: the tree-sitter code map (code_map, find_symbol, outline_file).
#
# The core is Debian's libtree-sitter 0.20.7 (ABI 13-14); the grammars are
# the pinned npm packages scripts/fetch-npm.sh puts in third_party/npm/.
# Their generated parser.c files are large (tree-sitter-cpp's is 17 MB), so
# they build as their own C library with no warnings, no debug info and no
# sanitizers (generated tables gain nothing from instrumentation), at -O1
# except in Release builds, where the lexers get -O2.
# Measured with gcc 12 on one core: tree-sitter-cpp's parser.c takes 2.6 s
# at -O1 (2.4 s at -O0, 3.4 s with ASan+UBSan), typescript's 1.5 s (1.1 s,
# 2.7 s); all seventeen grammar files about 14 s.
pkg_check_modules(TREE_SITTER REQUIRED IMPORTED_TARGET tree-sitter)

set(LONGHAUL_GRAMMAR_DIR "${PROJECT_SOURCE_DIR}/third_party/npm")
set(lh_grammar_sources
  tree-sitter-bash/src/parser.c
  tree-sitter-bash/src/scanner.c
  tree-sitter-c/src/parser.c
  tree-sitter-cpp/src/parser.c
  tree-sitter-cpp/src/scanner.c
  tree-sitter-go/src/parser.c
  tree-sitter-javascript/src/parser.c
  tree-sitter-javascript/src/scanner.c
  tree-sitter-json/src/parser.c
  tree-sitter-python/src/parser.c
  tree-sitter-python/src/scanner.c
  tree-sitter-rust/src/parser.c
  tree-sitter-rust/src/scanner.c
  tree-sitter-typescript/typescript/src/parser.c
  tree-sitter-typescript/typescript/src/scanner.c
  tree-sitter-typescript/tsx/src/parser.c
  tree-sitter-typescript/tsx/src/scanner.c)
list(TRANSFORM lh_grammar_sources PREPEND "${LONGHAUL_GRAMMAR_DIR}/")
foreach(source IN LISTS lh_grammar_sources)
  if(NOT EXISTS "${source}")
    message(FATAL_ERROR "tree-sitter grammar source ${source} is missing; run `bash scripts/fetch-npm.sh` "
                        "(scripts/bootstrap.sh does) to fetch the pinned grammars into third_party/npm/")
  endif()
endforeach()

add_library(tree_sitter_grammars STATIC ${lh_grammar_sources})
# Replaces the inherited options (-Wall -Werror, the sanitizers): this is
# generated third-party code. These come after CMAKE_C_FLAGS_<CONFIG> on
# the command line, so they win over its -O and -g.
set_property(TARGET tree_sitter_grammars PROPERTY COMPILE_OPTIONS -w $<IF:$<CONFIG:Release>,-O2,-O1> -g0)
set_property(TARGET tree_sitter_grammars PROPERTY C_STANDARD 11)

target_sources(tools PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/code_index.cc
  ${CMAKE_CURRENT_LIST_DIR}/code_map_api.cc
  ${CMAKE_CURRENT_LIST_DIR}/code_map_tool.cc
  ${CMAKE_CURRENT_LIST_DIR}/code_tools.cc
  ${CMAKE_CURRENT_LIST_DIR}/common_names.cc
  ${CMAKE_CURRENT_LIST_DIR}/definition_tree.cc
  ${CMAKE_CURRENT_LIST_DIR}/extract.cc
  ${CMAKE_CURRENT_LIST_DIR}/file_scan.cc
  ${CMAKE_CURRENT_LIST_DIR}/find_symbol_tool.cc
  ${CMAKE_CURRENT_LIST_DIR}/language.cc
  ${CMAKE_CURRENT_LIST_DIR}/map_render.cc
  ${CMAKE_CURRENT_LIST_DIR}/outline_file_tool.cc
  ${CMAKE_CURRENT_LIST_DIR}/page_rank.cc
  ${CMAKE_CURRENT_LIST_DIR}/path_filter.cc
  ${CMAKE_CURRENT_LIST_DIR}/queries.cc
  ${CMAKE_CURRENT_LIST_DIR}/symbol_graph.cc
  ${CMAKE_CURRENT_LIST_DIR}/symbols.cc
  ${CMAKE_CURRENT_LIST_DIR}/token_estimate.cc)
target_link_libraries(tools PRIVATE tree_sitter_grammars PkgConfig::TREE_SITTER)
