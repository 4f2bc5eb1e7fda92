// find_symbol: where a name is defined and where it is used.
#include <algorithm>
#include <map>
#include <string>
#include <tuple>
#include <utility>

#include "tools/builtin.h"
#include "tools/code/code_tools.h"
#include "tools/code/map_render.h"
#include "tools/code/page_rank.h"
#include "tools/file_io.h"
#include "tools/text_util.h"

namespace tools {
namespace {

constexpr size_t kMaxShownLineBytes = 200;
constexpr size_t kMaxSuggestions = 10;

struct Hit {
  uint32_t file;
  uint32_t index;  // definition or reference index in the file
  uint32_t line;
};

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  return out;
}

// The position of the last `::` or `.` in `s` (npos when none), and its width.
size_t LastSeparator(std::string_view s, size_t* width) {
  const size_t colons = s.rfind("::");
  const size_t dot = s.rfind('.');
  if (colons != std::string_view::npos && (dot == std::string_view::npos || colons > dot)) {
    *width = 2;
    return colons;
  }
  *width = 1;
  return dot;
}

// "Server.Start", "ns::Server::Start" -> {"Server", "Start"}; "Start" -> {"", "Start"}.
std::pair<std::string, std::string> SplitQualified(std::string_view name) {
  size_t width = 0;
  const size_t cut = LastSeparator(name, &width);
  if (cut == std::string_view::npos || cut == 0 || cut + width >= name.size()) return {"", std::string(name)};
  std::string_view scope = name.substr(0, cut);
  size_t scope_width = 0;
  const size_t inner = LastSeparator(scope, &scope_width);
  if (inner != std::string_view::npos) scope.remove_prefix(inner + scope_width);
  return {std::string(scope), std::string(name.substr(cut + width))};
}

// Definition names close to `name`: the same but for case, or containing it.
std::vector<std::string> Suggestions(const CodeSnapshot& snapshot, const std::string& name) {
  const std::string lower = Lower(name);
  std::vector<std::string> found;
  for (std::string_view candidate : snapshot.graph().names) {
    const std::string l = Lower(candidate);
    if (l == lower || l.find(lower) != std::string::npos || (l.size() >= 3 && lower.find(l) != std::string::npos)) {
      found.emplace_back(candidate);
    }
  }
  std::sort(found.begin(), found.end(), [&](const std::string& a, const std::string& b) {
    const auto da = a.size() > name.size() ? a.size() - name.size() : name.size() - a.size();
    const auto db = b.size() > name.size() ? b.size() - name.size() : name.size() - b.size();
    return std::tie(da, a) < std::tie(db, b);
  });
  if (found.size() > kMaxSuggestions) found.resize(kMaxSuggestions);
  return found;
}

class FindSymbolTool : public BuiltinTool {
 public:
  explicit FindSymbolTool(std::shared_ptr<CodeIndex> index) : index_(std::move(index)) {}

  std::string name() const override { return "find_symbol"; }
  std::string description() const override {
    return "Find where a function, class, method or type is defined and where it is used (calls, type uses), by "
           "exact name, e.g. \"ParseHeader\" or \"Server.start\" (a method of one class). Definitions come first "
           "with their first line; then references with their source line, as path:line. Most important files "
           "first. Reads " + SupportedLanguages() + ".";
  }
  nlohmann::json parameters_schema() const override {
    return SchemaBuilder()
        .String("name", "The exact name, optionally qualified by its class: \"Start\", \"Server.Start\".", true)
        .String("kind", "Only definitions of this kind: " + SymbolKindNames() + ".", false)
        .StringList("paths", "Only look in these directories or files, or files matching these globs.", false)
        .Build();
  }
  bool is_mutating() const override { return false; }

 protected:
  base::Result<ToolResult> RunChecked(const Args& args, const ToolContext& context) const override {
    const std::string query = args.String("name");
    const auto [scope, name] = SplitQualified(query);
    if (name.find_first_not_of(" \t") == std::string::npos) return ErrorResult("name is empty; give a symbol name");
    std::optional<SymbolKind> kind;
    if (args.Has("kind")) {
      kind = SymbolKindFromName(args.String("kind"));
      if (!kind) return ErrorResult("kind must be one of: " + SymbolKindNames() + " (got \"" + args.String("kind") + "\")");
    }
    TOOL_ASSIGN_OR_ERROR(PathFilter paths, PathFilter::Parse(args.StringList("paths"), "paths"));
    RefreshStats stats;
    auto refreshed = index_->Refresh(context.repo_root, &stats);
    if (!refreshed.ok()) return ErrorResult("cannot index the repository: " + refreshed.status().message());
    const CodeSnapshot& snapshot = **refreshed;
    const auto& files = snapshot.files();

    std::vector<Hit> definitions;
    std::vector<Hit> references;
    for (uint32_t f = 0; f < files.size(); ++f) {
      if (!paths.empty() && !paths.Matches(files[f]->path)) continue;
      const auto& defs = files[f]->definitions;
      for (uint32_t d = 0; d < defs.size(); ++d) {
        if (defs[d].name != name || (kind && defs[d].kind != *kind)) continue;
        if (!scope.empty() && !InScope(defs, d, scope)) continue;
        definitions.push_back({f, d, defs[d].line});
      }
      const auto& refs = files[f]->references;
      for (uint32_t r = 0; r < refs.size(); ++r) {
        if (refs[r].name != name) continue;
        if (!references.empty() && references.back().file == f && references.back().line == refs[r].line) continue;
        references.push_back({f, r, refs[r].line});
      }
    }

    ToolResult result;
    result.details = RefreshDetails(stats);
    result.details["name"] = query;
    result.details["definitions"] = definitions.size();
    result.details["references"] = references.size();
    if (definitions.empty() && references.empty()) {
      result.text = "No definition or reference of " + query + " in " + std::to_string(files.size()) +
                    " indexed source files" + (paths.empty() ? "" : " under the given paths") + ".\n";
      const std::vector<std::string> similar = Suggestions(snapshot, name);
      if (!similar.empty()) {
        result.text += "Similar names:";
        for (const std::string& s : similar) result.text += " " + s;
        result.text += "\n";
      }
      result.text += "Names are exact and case-sensitive; grep searches text.\n";
      return result;
    }
    // Most important files first, as in code_map.
    const Ranking ranking = RankSymbols(snapshot.graph(), SessionBias(snapshot, context.touched_files, PathFilter()));
    std::vector<uint32_t> position(files.size());
    const std::vector<uint32_t> order = FilesByRank(ranking, std::vector<bool>(files.size(), true));
    for (uint32_t i = 0; i < order.size(); ++i) position[order[i]] = i;
    auto by_rank = [&](const Hit& a, const Hit& b) {
      return std::tie(position[a.file], a.line, a.index) < std::tie(position[b.file], b.line, b.index);
    };
    std::sort(definitions.begin(), definitions.end(), by_rank);
    std::sort(references.begin(), references.end(), by_rank);

    const size_t cap = static_cast<size_t>(std::max(context.limits.max_matches, 1));
    const size_t shown_defs = std::min(definitions.size(), cap);
    const size_t shown_refs = std::min(references.size(), cap - shown_defs);
    result.text = std::to_string(definitions.size()) + (definitions.size() == 1 ? " definition" : " definitions") +
                  " of " + query + ":\n";
    for (size_t i = 0; i < shown_defs; ++i) result.text += DefinitionLine(snapshot, definitions[i]);
    result.text += std::to_string(references.size()) + (references.size() == 1 ? " reference" : " references") +
                   " to " + name + (scope.empty() ? "" : " (any " + name + ", the scope is not resolved)") + ":\n";
    result.text += ReferenceLines(snapshot, references, shown_refs, index_->limits().max_file_bytes);
    if (shown_defs + shown_refs < definitions.size() + references.size()) {
      result.text += "[stopped after " + std::to_string(cap) + " matches; narrow with kind or paths]\n";
    }
    return result;
  }

 private:
  // Whether definition `d` belongs to `scope`: nested in a definition of
  // that name, or defined out of line as `scope::name`.
  static bool InScope(const std::vector<Definition>& defs, uint32_t d, const std::string& scope) {
    for (int32_t p = defs[d].parent; p >= 0; p = defs[p].parent) {
      if (defs[p].name == scope) return true;
    }
    return defs[d].signature.find(scope + "::" + defs[d].name) != std::string::npos;
  }

  static std::string DefinitionLine(const CodeSnapshot& snapshot, const Hit& hit) {
    const FileSymbols& file = *snapshot.files()[hit.file];
    const Definition& d = file.definitions[hit.index];
    std::string line = file.path + ":" + std::to_string(d.line) + ": " + d.signature + "  [" +
                       std::string(SymbolKindName(d.kind));
    if (d.parent >= 0) line += " in " + file.definitions[d.parent].name;
    line += ", lines " + std::to_string(d.line) + "-" + std::to_string(d.end_line) + "]\n";
    return line;
  }

  // Reads each file once for its lines.
  static std::string ReferenceLines(const CodeSnapshot& snapshot, const std::vector<Hit>& hits, size_t count,
                                    uint64_t max_file_bytes) {
    std::string out;
    uint32_t loaded = UINT32_MAX;
    std::string content;
    std::vector<std::string_view> lines;
    for (size_t i = 0; i < count; ++i) {
      const FileSymbols& file = *snapshot.files()[hits[i].file];
      if (hits[i].file != loaded) {
        loaded = hits[i].file;
        auto read = ReadWholeFile(snapshot.repo_root() + "/" + file.path, max_file_bytes);
        content = read.ok() ? std::move(*read) : std::string();
        lines = SplitLines(content);
      }
      std::string_view text = hits[i].line <= lines.size() ? lines[hits[i].line - 1] : std::string_view();
      while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
      while (!text.empty() && (text.back() == '\r' || text.back() == ' ')) text.remove_suffix(1);
      out += file.path + ":" + std::to_string(hits[i].line) + ": " + ClipLine(text, kMaxShownLineBytes) + "\n";
    }
    return out;
  }

  std::shared_ptr<CodeIndex> index_;
};

}  // namespace

std::unique_ptr<Tool> NewFindSymbolTool(std::shared_ptr<CodeIndex> index) {
  return std::make_unique<FindSymbolTool>(std::move(index));
}

}  // namespace tools
