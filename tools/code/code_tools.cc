#include "tools/code/code_tools.h"

namespace tools {

std::vector<double> SessionBias(const CodeSnapshot& snapshot, const std::vector<std::string>& touched,
                                const PathFilter& focus) {
  std::vector<double> bias(snapshot.files().size(), 0.0);
  for (size_t i = 0; i < touched.size(); ++i) {
    std::string_view path = touched[i];
    while (path.substr(0, 2) == "./") path.remove_prefix(2);
    const std::string& root = snapshot.repo_root();
    if (path.size() > root.size() && path.substr(0, root.size()) == root && path[root.size()] == '/') {
      path.remove_prefix(root.size() + 1);
    }
    const int f = snapshot.Find(path);
    if (f >= 0) bias[static_cast<size_t>(f)] += 1.0 / static_cast<double>(i + 1);
  }
  if (!focus.empty()) {
    for (size_t f = 0; f < bias.size(); ++f) bias[f] += focus.Matches(snapshot.files()[f]->path) ? 1.0 : 0.0;
  }
  return bias;
}

std::string SupportedLanguages() {
  std::string names;
  for (int i = 0; i < kLanguageCount; ++i) {
    names += (names.empty() ? "" : ", ") + std::string(LanguageName(static_cast<Language>(i)));
  }
  return names;
}

nlohmann::json RefreshDetails(const RefreshStats& stats) {
  return {{"files_indexed", stats.files},       {"parsed", stats.parsed},
          {"reused", stats.reused},             {"dropped", stats.dropped},
          {"skipped_binary", stats.skipped_binary}, {"skipped_large", stats.skipped_large},
          {"skipped_failed", stats.skipped_failed}, {"file_limit_reached", stats.file_limit_reached}};
}

}  // namespace tools
