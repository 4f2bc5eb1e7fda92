#include "tools/code/extract.h"

#include <tree_sitter/api.h>

#include <algorithm>
#include <string>
#include <vector>

#include "tools/code/definition_tree.h"
#include "tools/code/queries.h"

namespace tools {
namespace {

// Far beyond what a real 1 MiB source file needs; only a pathological
// input (or a grammar bug) hits it, and then the file is skipped rather
// than stalling the map.
constexpr uint64_t kParseTimeoutMicros = 5'000'000;

enum class Role : uint8_t { kIgnore, kName, kDefinition, kReference };

struct Capture {
  Role role = Role::kIgnore;
  SymbolKind symbol = SymbolKind::kFunction;
  ReferenceKind reference = ReferenceKind::kCall;
};

Capture ParseCaptureName(std::string_view name) {
  Capture c;
  if (name == "name") {
    c.role = Role::kName;
  } else if (name.substr(0, 11) == "definition.") {
    if (auto kind = SymbolKindFromName(name.substr(11))) {
      c.role = Role::kDefinition;
      c.symbol = *kind;
    }
  } else if (name.substr(0, 10) == "reference.") {
    if (auto kind = ReferenceKindFromName(name.substr(10))) {
      c.role = Role::kReference;
      c.reference = *kind;
    }
  }
  return c;
}

std::string_view QueryErrorName(TSQueryError error) {
  switch (error) {
    case TSQueryErrorSyntax: return "syntax error";
    case TSQueryErrorNodeType: return "unknown node type";
    case TSQueryErrorField: return "unknown field";
    case TSQueryErrorCapture: return "unknown capture";
    case TSQueryErrorStructure: return "impossible pattern";
    case TSQueryErrorLanguage: return "language version mismatch";
    default: return "error";
  }
}

struct TreeDeleter {
  void operator()(TSTree* tree) const { ts_tree_delete(tree); }
};

uint32_t CountLines(std::string_view content) {
  const auto newlines = static_cast<uint32_t>(std::count(content.begin(), content.end(), '\n'));
  return newlines + (!content.empty() && content.back() != '\n' ? 1 : 0);
}

}  // namespace

struct SymbolQueries::Compiled {
  TSQuery* query = nullptr;
  std::vector<Capture> captures;  // by capture id
  ~Compiled() {
    if (query != nullptr) ts_query_delete(query);
  }
};

struct SymbolQueries::Slot {
  std::once_flag once;
  std::unique_ptr<Compiled> compiled;
  std::string error;
};

SymbolQueries::SymbolQueries() : slots_(std::make_unique<std::array<Slot, kLanguageCount>>()) {}
SymbolQueries::~SymbolQueries() = default;

base::Result<const SymbolQueries::Compiled*> SymbolQueries::Get(Language language) const {
  Slot& slot = (*slots_)[static_cast<size_t>(language)];
  std::call_once(slot.once, [&] {
    const std::string source = QuerySource(language);
    uint32_t error_offset = 0;
    TSQueryError error = TSQueryErrorNone;
    TSQuery* query = ts_query_new(Grammar(language), source.data(), static_cast<uint32_t>(source.size()),
                                  &error_offset, &error);
    if (query == nullptr) {
      slot.error = std::string(LanguageName(language)) + " symbol query: " + std::string(QueryErrorName(error)) +
                   " at \"" + source.substr(error_offset, 60) + "\"";
      return;
    }
    auto compiled = std::make_unique<Compiled>();
    compiled->query = query;
    for (uint32_t id = 0; id < ts_query_capture_count(query); ++id) {
      uint32_t length = 0;
      const char* name = ts_query_capture_name_for_id(query, id, &length);
      compiled->captures.push_back(ParseCaptureName(std::string_view(name, length)));
    }
    slot.compiled = std::move(compiled);
  });
  if (slot.compiled == nullptr) return base::Internal(slot.error);
  return static_cast<const Compiled*>(slot.compiled.get());
}

SymbolParser::SymbolParser(const SymbolQueries& queries)
    : queries_(queries), parser_(ts_parser_new()), cursor_(ts_query_cursor_new()) {}

SymbolParser::~SymbolParser() {
  ts_query_cursor_delete(cursor_);
  ts_parser_delete(parser_);
}

base::Result<FileSymbols> SymbolParser::Parse(Language language, std::string_view path, std::string_view content,
                                              uint64_t content_hash) {
  ASSIGN_OR_RETURN(const SymbolQueries::Compiled* compiled, queries_.Get(language));
  if (content.size() > UINT32_MAX / 2) return base::ResourceExhausted("file too large to parse");
  if (!ts_parser_set_language(parser_, Grammar(language))) {
    return base::Internal(std::string(LanguageName(language)) + " grammar has an ABI this libtree-sitter rejects");
  }
  ts_parser_reset(parser_);
  ts_parser_set_timeout_micros(parser_, kParseTimeoutMicros);
  std::unique_ptr<TSTree, TreeDeleter> tree(
      ts_parser_parse_string(parser_, nullptr, content.data(), static_cast<uint32_t>(content.size())));
  if (tree == nullptr) return base::DeadlineExceeded("tree-sitter gave up parsing " + std::string(path));
  const TSNode root = ts_tree_root_node(tree.get());

  DefinitionCollector collector(content, language != Language::kC && language != Language::kCpp);
  ts_query_cursor_exec(cursor_, compiled->query, root);
  TSQueryMatch match;
  while (ts_query_cursor_next_match(cursor_, &match)) {
    const TSNode* name = nullptr;
    const TSNode* node = nullptr;
    Capture what;
    for (uint16_t i = 0; i < match.capture_count; ++i) {
      const Capture& c = compiled->captures[match.captures[i].index];
      if (c.role == Role::kName) {
        name = &match.captures[i].node;
      } else if (c.role != Role::kIgnore) {
        node = &match.captures[i].node;
        what = c;
      }
    }
    if (node == nullptr) continue;
    const TSNode& name_node = name != nullptr ? *name : *node;
    const NodeSpan name_span{ts_node_start_byte(name_node), ts_node_end_byte(name_node),
                             ts_node_start_point(name_node).row, ts_node_end_point(name_node).row};
    if (what.role == Role::kDefinition) {
      const TSPoint end = ts_node_end_point(*node);
      const NodeSpan span{ts_node_start_byte(*node), ts_node_end_byte(*node), ts_node_start_point(*node).row,
                          end.column == 0 && end.row > ts_node_start_point(*node).row ? end.row - 1 : end.row};
      collector.AddDefinition(span, name_span, what.symbol, match.pattern_index);
    } else {
      collector.AddReference(name_span, what.reference);
    }
  }

  FileSymbols symbols;
  symbols.path = std::string(path);
  symbols.language = language;
  symbols.content_hash = content_hash;
  symbols.line_count = CountLines(content);
  symbols.has_parse_errors = ts_node_has_error(root);
  collector.Finish(&symbols.definitions, &symbols.references);
  return symbols;
}

}  // namespace tools
