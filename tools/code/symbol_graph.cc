#include "tools/code/symbol_graph.h"

#include <algorithm>
#include <cmath>
#include <tuple>
#include <utility>

#include "tools/code/common_names.h"

namespace tools {
namespace {

constexpr size_t kMaxTargets = 64;

// Which files' definitions a file's references can mean: C with C++,
// JavaScript with TypeScript; each other language on its own.
int Family(Language language) {
  switch (language) {
    case Language::kC:
    case Language::kCpp: return 0;
    case Language::kJavaScript:
    case Language::kTypeScript:
    case Language::kTsx: return 1;
    default: return 2 + static_cast<int>(language);
  }
}

uint8_t Meanings(ReferenceKind kind, Language language) {
  switch (kind) {
    case ReferenceKind::kType:
    case ReferenceKind::kImplementation: return kAsType;
    case ReferenceKind::kCall: return kAsType | kAsFunction | (Family(language) == 0 ? kAsMethod : 0);
    case ReferenceKind::kMemberCall: return kAsType | kAsFunction | kAsMethod;
  }
  return 0;
}

// Aider's multipliers for how much a reference to `name` says.
double NameWeight(std::string_view name, size_t definer_count) {
  double weight = 1.0;
  if (definer_count > 5) weight *= 0.1;
  if (!name.empty() && name.front() == '_') weight *= 0.1;
  const bool has_lower = std::any_of(name.begin(), name.end(), [](char c) { return c >= 'a' && c <= 'z'; });
  const bool has_upper = std::any_of(name.begin(), name.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
  const bool snake = name.find('_') != std::string_view::npos;
  if (name.size() >= 8 && (snake || (has_lower && has_upper))) weight *= 10;
  return weight;
}

void AddDefinitions(const std::vector<std::shared_ptr<const FileSymbols>>& files, SymbolGraph* g) {
  g->definition_names.resize(files.size());
  g->definition_roles.resize(files.size());
  for (uint32_t f = 0; f < files.size(); ++f) {
    for (const Definition& d : files[f]->definitions) {
      const uint8_t roles = RolesOf(d.kind);
      g->definition_roles[f].push_back(roles);
      if (roles == 0) {
        g->definition_names[f].push_back(kNoName);
        continue;
      }
      auto [it, inserted] = g->ids.try_emplace(d.name, static_cast<uint32_t>(g->names.size()));
      if (inserted) {
        g->names.push_back(d.name);
        g->definers.emplace_back();
      }
      g->definition_names[f].push_back(it->second);
      std::vector<Definer>& definers = g->definers[it->second];
      if (definers.empty() || definers.back().file != f) definers.push_back({f, 0});  // files come in order
      definers.back().roles |= roles;
    }
  }
}

}  // namespace

uint8_t RolesOf(SymbolKind kind) {
  switch (kind) {
    case SymbolKind::kClass:
    case SymbolKind::kStruct:
    case SymbolKind::kInterface:
    case SymbolKind::kEnum:
    case SymbolKind::kType: return kAsType;
    case SymbolKind::kFunction:
    case SymbolKind::kMacro: return kAsFunction;
    case SymbolKind::kMethod: return kAsMethod;
    case SymbolKind::kModule:  // namespaces are declared piecemeal in every file of a module
    case SymbolKind::kImpl:    // names a type defined elsewhere
    case SymbolKind::kKey: return 0;
  }
  return 0;
}

SymbolGraph BuildSymbolGraph(const std::vector<std::shared_ptr<const FileSymbols>>& files) {
  SymbolGraph g;
  AddDefinitions(files, &g);
  g.out_weight.assign(files.size(), 0.0);
  std::vector<std::pair<uint32_t, uint8_t>> referenced;  // (name id, meanings), one per reference
  std::vector<uint32_t> targets;                         // the files a reference can mean
  for (uint32_t from = 0; from < files.size(); ++from) {
    const Language language = files[from]->language;
    referenced.clear();
    for (const Reference& r : files[from]->references) {
      if (IsCommonName(language, r.kind, r.name)) continue;
      auto it = g.ids.find(r.name);
      if (it != g.ids.end()) referenced.emplace_back(it->second, Meanings(r.kind, language));
    }
    std::sort(referenced.begin(), referenced.end());
    for (size_t i = 0; i < referenced.size();) {
      const auto [name, meanings] = referenced[i];
      size_t count = 0;
      for (; i < referenced.size() && referenced[i] == std::make_pair(name, meanings); ++i) ++count;
      targets.clear();
      bool local = false;
      for (const Definer& d : g.definers[name]) {
        if ((d.roles & meanings) == 0 || Family(files[d.file]->language) != Family(language)) continue;
        local |= d.file == from;
        targets.push_back(d.file);
      }
      // A file's own definition; nothing it can mean; or a name so many files
      // define (`type`, `apply`) that it says nothing and would cost an edge
      // to each of them.
      if (local || targets.empty() || targets.size() > kMaxTargets) continue;
      const double weight =
          std::sqrt(static_cast<double>(count)) * NameWeight(g.names[name], targets.size()) / targets.size();
      for (uint32_t to : targets) {
        g.edges.push_back({from, to, name, meanings, weight});
        g.out_weight[from] += weight;
      }
    }
  }
  std::sort(g.edges.begin(), g.edges.end(), [](const SymbolEdge& a, const SymbolEdge& b) {
    return std::tie(a.from, a.to, a.name, a.roles) < std::tie(b.from, b.to, b.name, b.roles);
  });
  g.by_target.resize(g.edges.size());
  for (uint32_t i = 0; i < g.edges.size(); ++i) g.by_target[i] = i;
  std::stable_sort(g.by_target.begin(), g.by_target.end(),
                   [&](uint32_t a, uint32_t b) { return g.edges[a].to < g.edges[b].to; });
  for (const SymbolEdge& e : g.edges) {
    if (g.file_edges.empty() || g.file_edges.back().from != e.from || g.file_edges.back().to != e.to) {
      g.file_edges.push_back({e.from, e.to, 0.0});
    }
    g.file_edges.back().weight += e.weight;
  }
  return g;
}

}  // namespace tools
