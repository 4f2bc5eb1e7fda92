#include "tools/code/map_render.h"

#include <algorithm>
#include <numeric>

#include "tools/code/token_estimate.h"

namespace tools {
namespace {

// How much of a file's rank its definitions share, on top of what reaches
// them by name: enough to order unreferenced definitions by their file's
// importance, small next to a real reference.
constexpr double kFileShare = 0.1;
// Give up looking for smaller entries to fill the last gap after this many
// that did not fit in a row.
constexpr size_t kMaxMisses = 256;

constexpr std::string_view kHeader = "Code map (most used files first; \"line: definition\"):\n";

struct Cost {
  size_t tokens = 0;
  size_t bytes = 0;
};

Cost CostOf(std::string_view text) { return {EstimateTokens(text), text.size()}; }

std::string FileLine(const FileSymbols& file) { return file.path + ":\n"; }

// Namespaces and modules take a line each and say little that the path
// does not: the map leaves them out, and does not indent for them.
bool Shown(const Definition& d) { return d.kind != SymbolKind::kModule; }

size_t ShownDepth(const FileSymbols& file, const Definition& d) {
  size_t depth = 0;
  for (int32_t p = d.parent; p >= 0; p = file.definitions[p].parent) depth += Shown(file.definitions[p]) ? 1 : 0;
  return depth;
}

std::string EntryLine(const FileSymbols& file, const Definition& d) {
  return "  " + std::to_string(d.line) + ": " + std::string(2 * ShownDepth(file, d), ' ') + d.signature + "\n";
}

std::string Footer(size_t files_shown, size_t files_total, size_t definitions_shown, size_t definitions_total) {
  return "[showing " + std::to_string(files_shown) + " of " + std::to_string(files_total) + " files and " +
         std::to_string(definitions_shown) + " of " + std::to_string(definitions_total) +
         " definitions; raise max_tokens or narrow with paths for more]\n";
}

struct Candidate {
  uint32_t file;
  uint32_t definition;
  double score;
};

// Every shown definition of the files `paths` keeps, best first; counts
// the totals into `out`.
std::vector<Candidate> Candidates(const CodeSnapshot& snapshot, const Ranking& ranking, const PathFilter& paths,
                                  RenderedMap* out) {
  const auto& files = snapshot.files();
  std::vector<Candidate> candidates;
  for (uint32_t f = 0; f < files.size(); ++f) {
    if (!paths.empty() && !paths.Matches(files[f]->path)) continue;
    ++out->files_total;
    const auto& defs = files[f]->definitions;
    for (uint32_t d = 0; d < defs.size(); ++d) {
      if (!Shown(defs[d])) continue;
      ++out->definitions_total;
      const double share = kFileShare * ranking.file_rank[f] / static_cast<double>(defs.size());
      candidates.push_back({f, d, ranking.definition_rank[f][d] + share});
    }
  }
  // Stable on (file, definition) order, which is path and source order.
  std::stable_sort(candidates.begin(), candidates.end(),
                   [](const Candidate& a, const Candidate& b) { return a.score > b.score; });
  return candidates;
}

struct Selection {
  std::vector<std::vector<bool>> definitions;  // by file, by definition (empty: none of the file's)
  std::vector<bool> file_shown;
  size_t count = 0;
};

// Takes candidates in order, each with its enclosing definitions and its
// file's line when not in yet, while they fit in `left`.
Selection Pick(const std::vector<std::shared_ptr<const FileSymbols>>& files, const std::vector<Candidate>& candidates,
               Cost left) {
  Selection s;
  s.definitions.resize(files.size());
  s.file_shown.assign(files.size(), false);
  std::vector<uint32_t> chain;
  size_t misses = 0;
  for (const Candidate& c : candidates) {
    const FileSymbols& file = *files[c.file];
    std::vector<bool>& chosen = s.definitions[c.file];
    if (chosen.empty()) chosen.assign(file.definitions.size(), false);
    if (chosen[c.definition]) continue;  // already in as another's parent
    chain.clear();
    Cost cost = s.file_shown[c.file] ? Cost{} : CostOf(FileLine(file));
    for (int32_t d = static_cast<int32_t>(c.definition); d >= 0 && !chosen[d]; d = file.definitions[d].parent) {
      if (!Shown(file.definitions[d])) continue;
      chain.push_back(static_cast<uint32_t>(d));
      const Cost line = CostOf(EntryLine(file, file.definitions[d]));
      cost.tokens += line.tokens;
      cost.bytes += line.bytes;
    }
    if (cost.tokens > left.tokens || cost.bytes > left.bytes) {
      if (++misses > kMaxMisses) break;
      continue;
    }
    misses = 0;
    left.tokens -= cost.tokens;
    left.bytes -= cost.bytes;
    s.file_shown[c.file] = true;
    for (uint32_t d : chain) chosen[d] = true;
    s.count += chain.size();
  }
  return s;
}

}  // namespace

std::vector<uint32_t> FilesByRank(const Ranking& ranking, const std::vector<bool>& keep) {
  std::vector<uint32_t> order;
  for (uint32_t f = 0; f < ranking.file_rank.size(); ++f) {
    if (f < keep.size() && keep[f]) order.push_back(f);
  }
  std::stable_sort(order.begin(), order.end(),
                   [&](uint32_t a, uint32_t b) { return ranking.file_rank[a] > ranking.file_rank[b]; });
  return order;
}

RenderedMap RenderCodeMap(const CodeSnapshot& snapshot, const Ranking& ranking, const PathFilter& paths,
                          const MapBudget& budget, std::string_view note) {
  RenderedMap out;
  const std::vector<Candidate> candidates = Candidates(snapshot, ranking, paths, &out);
  // The footer is reserved at its largest (the shown counts can only have
  // as many digits as the totals).
  const std::string header_text = std::string(kHeader) + std::string(note);
  const Cost header = CostOf(header_text);
  const Cost footer = CostOf(Footer(out.files_total, out.files_total, out.definitions_total, out.definitions_total));
  if (header.tokens + footer.tokens > budget.max_tokens || header.bytes + footer.bytes > budget.max_bytes) return out;
  const Selection picked =
      Pick(snapshot.files(), candidates,
           {budget.max_tokens - header.tokens - footer.tokens, budget.max_bytes - header.bytes - footer.bytes});

  out.text = header_text;
  for (uint32_t f : FilesByRank(ranking, picked.file_shown)) {
    const FileSymbols& file = *snapshot.files()[f];
    out.text += FileLine(file);
    for (size_t d = 0; d < file.definitions.size(); ++d) {
      if (picked.definitions[f][d]) out.text += EntryLine(file, file.definitions[d]);
    }
    out.files.push_back(file.path);
  }
  out.files_shown = out.files.size();
  out.definitions_shown = picked.count;
  if (out.files_shown < out.files_total || out.definitions_shown < out.definitions_total) {
    out.text += Footer(out.files_shown, out.files_total, out.definitions_shown, out.definitions_total);
  }
  out.tokens = EstimateTokens(out.text);
  return out;
}

}  // namespace tools
