// tools/code_map.h: the code map for callers outside tools/.
#include "tools/code_map.h"

#include "tools/code/code_index.h"
#include "tools/code/code_tools.h"
#include "tools/code/map_render.h"
#include "tools/code/page_rank.h"

namespace tools {

std::shared_ptr<CodeIndex> NewCodeIndex() { return std::make_shared<CodeIndex>(); }

base::Result<CodeMapStats> BuildCodeMap(const std::string& repo_root, size_t max_tokens, CodeIndex& index) {
  RefreshStats refresh;
  ASSIGN_OR_RETURN(std::shared_ptr<const CodeSnapshot> snapshot, index.Refresh(repo_root, &refresh));
  const Ranking ranking = RankSymbols(snapshot->graph(), {});
  const RenderedMap map = RenderCodeMap(*snapshot, ranking, PathFilter(), MapBudget{max_tokens, SIZE_MAX}, "");
  if (map.text.empty() && !snapshot->files().empty()) {
    return base::InvalidArgument("max_tokens " + std::to_string(max_tokens) + " is too small for a code map");
  }
  CodeMapStats stats;
  stats.files = refresh.files;
  stats.definitions = snapshot->definition_count();
  stats.references = snapshot->reference_count();
  stats.parsed = refresh.parsed;
  stats.reused = refresh.reused;
  stats.dropped = refresh.dropped;
  stats.skipped = refresh.skipped_binary + refresh.skipped_large + refresh.skipped_failed;
  stats.map_bytes = map.text.size();
  stats.map_tokens = map.tokens;
  return stats;
}

}  // namespace tools
