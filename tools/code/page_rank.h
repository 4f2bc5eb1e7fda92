// Ranking files and definitions over the SymbolGraph: a personalized
// PageRank over files, then each definition's share of the rank that flows
// to it along its name's edges (Aider's repo map). Private to tools/.
//
// Deterministic: fixed iteration order and summation order, so the same
// index and bias give bit-identical ranks.
#pragma once

#include <vector>

#include "tools/code/symbol_graph.h"

namespace tools {

struct Ranking {
  std::vector<double> file_rank;                     // by file; sums to 1
  std::vector<std::vector<double>> definition_rank;  // by file, by definition
};

// `bias` is empty or holds one weight >= 0 per file: the files the session
// touched or asked to focus on. With any positive weight, half of the
// random surfer's restarts land on the biased files (in proportion to
// their weights) and half spread evenly over all files; otherwise all do.
Ranking RankSymbols(const SymbolGraph& graph, const std::vector<double>& bias);

}  // namespace tools
