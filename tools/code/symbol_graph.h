// The file reference graph the code map ranks: an edge from file A to file
// B for each name A references that B defines, weighted as Aider's repo
// map does. Built once per index snapshot. Private to tools/.
//
// A reference only reaches definitions it can mean: a type use reaches
// types (classes, structs, interfaces, enums, aliases); a plain call
// reaches functions, macros and types (constructors), and methods only in
// C and C++, where a member function calls its siblings unqualified
// (Python's `list(x)` is no call to some class's `list` method); a member
// call (`x.f()`) reaches anything. References also stay within a language
// family (C with C++, JavaScript with TypeScript): a C++ `Status` is not a
// TypeScript enum. Namespaces and modules, Rust impl blocks and JSON keys
// are not definers, and references to a language's builtins and standard
// names (common_names.h) do not count.
//
// Weights: sqrt(number of A's references to the name), split evenly among
// the files that can be meant; x0.1 when more than 5 files can be (generic
// names like `run` or `get` say little; past 64 there is no edge at all),
// x0.1 for `_private` names, x10 for long, specific names (8+ characters
// with `_` or mixed case). A file that defines a name itself is taken to
// mean its own definition and gets no edge for it.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tools/code/symbols.h"

namespace tools {

inline constexpr uint32_t kNoName = UINT32_MAX;

// What a definition can be named as, and what a reference can mean (bits).
inline constexpr uint8_t kAsType = 1;
inline constexpr uint8_t kAsFunction = 2;
inline constexpr uint8_t kAsMethod = 4;

// 0 for kinds that are not definers.
uint8_t RolesOf(SymbolKind kind);

struct SymbolEdge {
  uint32_t from = 0;  // file indices
  uint32_t to = 0;
  uint32_t name = 0;   // name id
  uint8_t roles = 0;   // the definitions of `name` in `to` that the references can mean
  double weight = 0;
};

struct FileEdge {
  uint32_t from = 0;
  uint32_t to = 0;
  double weight = 0;  // the sum over the names
};

struct Definer {
  uint32_t file = 0;
  uint8_t roles = 0;  // in which roles the file defines the name
};

struct SymbolGraph {
  std::vector<std::string_view> names;                 // by name id; views into the files' definitions
  std::unordered_map<std::string_view, uint32_t> ids;  // name -> id
  std::vector<std::vector<Definer>> definers;          // by name id, ascending by file
  // By file, by definition: the name id (kNoName for kinds that are not
  // definers) and RolesOf its kind.
  std::vector<std::vector<uint32_t>> definition_names;
  std::vector<std::vector<uint8_t>> definition_roles;
  std::vector<SymbolEdge> edges;        // ascending by (from, to, name, roles)
  std::vector<uint32_t> by_target;      // indices into edges, grouped by `to`, in edge order within
  std::vector<FileEdge> file_edges;     // edges summed per (from, to), ascending: what PageRank walks
  std::vector<double> out_weight;       // by file: the sum of its edges' weights
};

// `files` must outlive the graph (it holds views of their names).
SymbolGraph BuildSymbolGraph(const std::vector<std::shared_ptr<const FileSymbols>>& files);

}  // namespace tools
