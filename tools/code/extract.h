// Parsing one file with tree-sitter and running its language's query
// (queries.h) to get its definitions and references. Private to tools/.
//
// A file with syntax errors still yields the symbols of its valid parts:
// tree-sitter wraps what it cannot parse in ERROR nodes and the query
// matches whatever well-formed subtrees remain.
//
// Threading: a SymbolQueries is shared; each language's query is compiled
// on first use (once, under std::call_once) and then only read, which
// tree-sitter allows from several threads. A SymbolParser holds a
// tree-sitter parser and query cursor and belongs to one thread at a time.
#pragma once

#include <array>
#include <memory>
#include <mutex>
#include <string_view>

#include "base/status.h"
#include "tools/code/language.h"
#include "tools/code/symbols.h"

struct TSParser;
struct TSQueryCursor;

namespace tools {

class SymbolQueries {
 public:
  SymbolQueries();
  ~SymbolQueries();
  SymbolQueries(const SymbolQueries&) = delete;
  SymbolQueries& operator=(const SymbolQueries&) = delete;

  struct Compiled;
  // kInternal when the query does not compile against the grammar (a bug
  // in queries.cc, which the tests catch for every language).
  base::Result<const Compiled*> Get(Language language) const;

 private:
  struct Slot;
  std::unique_ptr<std::array<Slot, kLanguageCount>> slots_;
};

class SymbolParser {
 public:
  explicit SymbolParser(const SymbolQueries& queries);
  ~SymbolParser();
  SymbolParser(const SymbolParser&) = delete;
  SymbolParser& operator=(const SymbolParser&) = delete;

  // `path` and `content_hash` are copied into the result. kDeadlineExceeded
  // when tree-sitter gives up (a pathological file past the time limit).
  base::Result<FileSymbols> Parse(Language language, std::string_view path, std::string_view content,
                                  uint64_t content_hash);

 private:
  const SymbolQueries& queries_;
  TSParser* parser_;
  TSQueryCursor* cursor_;
};

}  // namespace tools
