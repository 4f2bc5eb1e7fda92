#include "tools/code/page_rank.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <utility>

namespace tools {
namespace {

constexpr double kDamping = 0.85;
constexpr double kBiasShare = 0.5;
constexpr int kMaxIterations = 100;
constexpr double kTolerance = 1e-12;

std::vector<double> Restart(size_t n, const std::vector<double>& bias) {
  double total_bias = 0;
  for (double b : bias) total_bias += b > 0 ? b : 0;
  const double even = (total_bias > 0 ? 1 - kBiasShare : 1.0) / static_cast<double>(n);
  std::vector<double> p(n, even);
  if (total_bias > 0) {
    for (size_t i = 0; i < n && i < bias.size(); ++i) p[i] += bias[i] > 0 ? kBiasShare * bias[i] / total_bias : 0;
  }
  return p;
}

std::vector<double> FileRanks(const SymbolGraph& graph, const std::vector<double>& restart) {
  const size_t n = restart.size();
  std::vector<double> rank = restart;
  std::vector<double> next(n);
  for (int iteration = 0; iteration < kMaxIterations; ++iteration) {
    // A file with no edges hands its rank back through the restart vector.
    double dangling = 0;
    for (size_t f = 0; f < n; ++f) dangling += graph.out_weight[f] > 0 ? 0 : rank[f];
    for (size_t f = 0; f < n; ++f) next[f] = (1 - kDamping + kDamping * dangling) * restart[f];
    for (const FileEdge& e : graph.file_edges) {
      next[e.to] += kDamping * rank[e.from] * e.weight / graph.out_weight[e.from];
    }
    double change = 0;
    for (size_t f = 0; f < n; ++f) change += std::fabs(next[f] - rank[f]);
    rank.swap(next);
    if (change < kTolerance) break;
  }
  return rank;
}

}  // namespace

Ranking RankSymbols(const SymbolGraph& graph, const std::vector<double>& bias) {
  Ranking ranking;
  const size_t n = graph.definition_names.size();
  ranking.definition_rank.resize(n);
  if (n == 0) return ranking;
  ranking.file_rank = FileRanks(graph, Restart(n, bias));
  for (size_t f = 0; f < n; ++f) ranking.definition_rank[f].assign(graph.definition_names[f].size(), 0.0);

  // The rank that flows along each edge goes to the definitions of its
  // name in its target that it can mean, split evenly (overloads, a
  // declaration and its definition in one file).
  std::vector<std::pair<uint32_t, uint32_t>> by_name;  // (name id, definition) of one file, sorted
  uint32_t indexed = UINT32_MAX;
  for (uint32_t index : graph.by_target) {
    const SymbolEdge& e = graph.edges[index];
    if (e.to != indexed) {
      indexed = e.to;
      by_name.clear();
      const auto& names = graph.definition_names[e.to];
      for (uint32_t d = 0; d < names.size(); ++d) by_name.emplace_back(names[d], d);
      std::sort(by_name.begin(), by_name.end());
    }
    const auto [first, last] = std::equal_range(by_name.begin(), by_name.end(), std::make_pair(e.name, 0u),
                                                [](const auto& a, const auto& b) { return a.first < b.first; });
    const auto& roles = graph.definition_roles[e.to];
    const auto meant = static_cast<size_t>(
        std::count_if(first, last, [&](const auto& p) { return (roles[p.second] & e.roles) != 0; }));
    if (meant == 0) continue;
    const double share = ranking.file_rank[e.from] * e.weight / graph.out_weight[e.from] / static_cast<double>(meant);
    for (auto it = first; it != last; ++it) {
      if ((roles[it->second] & e.roles) != 0) ranking.definition_rank[e.to][it->second] += share;
    }
  }
  return ranking;
}

}  // namespace tools
