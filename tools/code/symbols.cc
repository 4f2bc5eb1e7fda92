#include "tools/code/symbols.h"

#include <array>

namespace tools {
namespace {

// In SymbolKind's order.
constexpr std::array<std::string_view, kSymbolKindCount> kKindNames = {
    "function", "method", "class", "struct", "interface", "enum", "type", "module", "macro", "impl", "key"};
// In ReferenceKind's order.
constexpr std::array<std::string_view, 4> kReferenceNames = {"call", "member_call", "type", "implementation"};

}  // namespace

std::string_view SymbolKindName(SymbolKind kind) { return kKindNames[static_cast<size_t>(kind)]; }

std::optional<SymbolKind> SymbolKindFromName(std::string_view name) {
  for (size_t i = 0; i < kKindNames.size(); ++i) {
    if (kKindNames[i] == name) return static_cast<SymbolKind>(i);
  }
  return std::nullopt;
}

std::string SymbolKindNames() {
  std::string names;
  for (std::string_view n : kKindNames) names += (names.empty() ? "" : ", ") + std::string(n);
  return names;
}

std::string_view ReferenceKindName(ReferenceKind kind) { return kReferenceNames[static_cast<size_t>(kind)]; }

std::optional<ReferenceKind> ReferenceKindFromName(std::string_view name) {
  for (size_t i = 0; i < kReferenceNames.size(); ++i) {
    if (kReferenceNames[i] == name) return static_cast<ReferenceKind>(i);
  }
  return std::nullopt;
}

}  // namespace tools
