#include "tools/code/definition_tree.h"

#include <algorithm>
#include <tuple>
#include <utility>

#include "tools/text_util.h"

namespace tools {
namespace {

constexpr size_t kMaxSignatureBytes = 200;
constexpr size_t kMaxNameBytes = 200;
constexpr size_t kMaxKeywordPrefix = 24;
constexpr uint32_t kMaxSignatureLines = 3;

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v'; }

bool IsWordChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

bool IsAscii(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

// Names become map keys and JSON: keep them valid UTF-8.
std::string CleanName(std::string_view name) { return IsAscii(name) ? std::string(name) : SanitizeUtf8(name); }

// Containers whose functions are methods.
bool HoldsMethods(SymbolKind kind) {
  return kind == SymbolKind::kClass || kind == SymbolKind::kStruct || kind == SymbolKind::kInterface ||
         kind == SymbolKind::kImpl;
}

bool IsFunction(SymbolKind kind) { return kind == SymbolKind::kFunction || kind == SymbolKind::kMethod; }

bool StrictlyContains(const NodeSpan& outer, const NodeSpan& inner) {
  const bool within = outer.start_byte <= inner.start_byte && inner.end_byte <= outer.end_byte;
  const bool same = outer.start_byte == inner.start_byte && outer.end_byte == inner.end_byte;
  return within && !same;
}

}  // namespace

std::string_view NormalizeName(std::string_view text) {
  text = Trim(text);
  // The last `::` outside template arguments: `Foo<a::b>::bar` -> `bar`.
  size_t last_scope = std::string_view::npos;
  int depth = 0;
  for (size_t i = 0; i + 1 < text.size(); ++i) {
    if (text[i] == '<') ++depth;
    if (text[i] == '>' && depth > 0) --depth;
    if (depth == 0 && text[i] == ':' && text[i + 1] == ':') last_scope = i;
  }
  if (last_scope != std::string_view::npos) text.remove_prefix(last_scope + 2);
  if (text.substr(0, 8) != "operator") text = text.substr(0, text.find('<'));
  text = Trim(text);
  return text.size() > kMaxNameBytes ? std::string_view() : text;
}

std::string Signature(std::string_view content, const NodeSpan& node, const NodeSpan& name) {
  const size_t node_end = std::min<size_t>(node.end_byte, content.size());
  if (node.start_byte >= node_end) return "";
  size_t start = node.start_byte;
  const size_t newline = start == 0 ? std::string_view::npos : content.rfind('\n', start - 1);
  const size_t line_start = newline == std::string_view::npos ? 0 : newline + 1;
  // A short keyword prefix on the same line belongs to the declaration:
  // `export class ...`, Go's `type` before its type_spec.
  const std::string_view prefix = Trim(content.substr(line_start, start - line_start));
  if (!prefix.empty() && prefix.size() <= kMaxKeywordPrefix &&
      std::all_of(prefix.begin(), prefix.end(), [](char c) { return IsWordChar(c) || c == ' '; })) {
    start = static_cast<size_t>(prefix.data() - content.data());
  }
  // Up to the name's line, unless the name comes long after the start
  // (`typedef struct {...} Name;`): then the first line alone.
  const size_t through = name.end_row <= node.start_row + kMaxSignatureLines - 1 ? name.end_byte : node.start_byte;
  size_t end = content.find('\n', std::clamp<size_t>(through, start, node_end));
  end = std::min(end == std::string_view::npos ? content.size() : end, node_end);
  std::string out;
  bool space = false;
  for (size_t i = start; i < end && out.size() <= kMaxSignatureBytes; ++i) {
    if (IsSpace(content[i])) {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += content[i];
  }
  if (out.size() > kMaxSignatureBytes) {
    out.resize(Utf8BoundaryBefore(out, kMaxSignatureBytes - 4));
    out += " ...";
  }
  return IsAscii(out) ? out : SanitizeUtf8(out);
}

void DefinitionCollector::AddDefinition(const NodeSpan& node, const NodeSpan& name, SymbolKind kind,
                                        uint32_t pattern) {
  definitions_.push_back({node, name, kind, pattern});
}

void DefinitionCollector::AddReference(const NodeSpan& name, ReferenceKind kind) {
  references_.push_back({name, kind});
}

void DefinitionCollector::Finish(std::vector<Definition>* definitions, std::vector<Reference>* references) {
  auto order = [](const RawDefinition& d) {
    return std::make_tuple(d.node.start_byte, ~d.node.end_byte, d.name.start_byte, d.pattern);
  };
  std::sort(definitions_.begin(), definitions_.end(),
            [&](const RawDefinition& a, const RawDefinition& b) { return order(a) < order(b); });
  definitions->clear();
  references->clear();
  // Name spans of the definitions: the same identifier matched as a
  // reference (`(type_identifier) @reference.type` matches `struct Foo`'s
  // name) is the definition itself.
  std::vector<std::pair<uint32_t, uint32_t>> own_names;
  std::vector<size_t> open;         // indices into *definitions of the enclosing chain
  std::vector<NodeSpan> spans;      // node spans of *definitions
  for (size_t i = 0; i < definitions_.size(); ++i) {
    const RawDefinition& d = definitions_[i];
    if (i > 0 && definitions_[i - 1].node.start_byte == d.node.start_byte &&
        definitions_[i - 1].node.end_byte == d.node.end_byte &&
        definitions_[i - 1].name.start_byte == d.name.start_byte) {
      continue;  // the same node matched a later pattern too
    }
    const std::string_view raw_name = content_.substr(d.name.start_byte, d.name.end_byte - d.name.start_byte);
    const std::string_view name = NormalizeName(raw_name);
    if (name.empty()) continue;
    while (!open.empty() && !StrictlyContains(spans[open.back()], d.node)) open.pop_back();
    if (!nested_functions_ &&
        std::any_of(open.begin(), open.end(), [&](size_t o) { return IsFunction((*definitions)[o].kind); })) {
      continue;
    }
    Definition out;
    out.name = CleanName(name);
    out.signature = Signature(content_, d.node, d.name);
    out.line = d.node.start_row + 1;
    out.end_line = d.node.end_row + 1;
    // `void Widget::Draw() {...}`: a member defined outside its class.
    const bool qualified = raw_name.find("::") != std::string_view::npos;
    out.kind = d.kind == SymbolKind::kFunction && qualified ? SymbolKind::kMethod : d.kind;
    out.depth = static_cast<uint16_t>(std::min<size_t>(open.size(), UINT16_MAX));
    if (!open.empty()) {
      out.parent = static_cast<int32_t>(open.back());
      if (out.kind == SymbolKind::kFunction && HoldsMethods((*definitions)[open.back()].kind)) {
        out.kind = SymbolKind::kMethod;
      }
    }
    // An impl block names a type defined elsewhere: its name stays a reference.
    if (d.kind != SymbolKind::kImpl) own_names.emplace_back(d.name.start_byte, d.name.end_byte);
    open.push_back(definitions->size());
    spans.push_back(d.node);
    definitions->push_back(std::move(out));
  }
  std::sort(own_names.begin(), own_names.end());

  std::stable_sort(references_.begin(), references_.end(), [](const RawReference& a, const RawReference& b) {
    return a.name.start_byte < b.name.start_byte;
  });
  for (size_t i = 0; i < references_.size(); ++i) {
    const RawReference& r = references_[i];
    if (i > 0 && references_[i - 1].name.start_byte == r.name.start_byte) continue;
    if (std::binary_search(own_names.begin(), own_names.end(), std::make_pair(r.name.start_byte, r.name.end_byte))) {
      continue;
    }
    const std::string_view name = NormalizeName(content_.substr(r.name.start_byte, r.name.end_byte - r.name.start_byte));
    if (name.empty()) continue;
    references->push_back({CleanName(name), r.name.start_row + 1, r.kind});
  }
}

}  // namespace tools
