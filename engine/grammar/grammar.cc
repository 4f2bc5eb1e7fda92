#include "engine/grammar/grammar.h"

#include <functional>

namespace engine::grammar {

void AppendLiteral(std::string_view text, Sequence* seq) {
  for (char c : text) seq->push_back(Symbol::Byte(static_cast<uint8_t>(c)));
}

uint32_t GrammarBuilder::NewRule(std::string name) {
  rules_.emplace_back();
  names_.push_back(std::move(name));
  return static_cast<uint32_t>(rules_.size() - 1);
}

void GrammarBuilder::AddAlternative(uint32_t rule, Sequence seq) { rules_[rule].push_back(std::move(seq)); }

uint32_t GrammarBuilder::Rule(std::string name, Sequence seq) {
  const uint32_t r = NewRule(std::move(name));
  AddAlternative(r, std::move(seq));
  return r;
}

base::Result<Grammar> GrammarBuilder::Build(uint32_t root) && {
  const size_t n = rules_.size();
  if (root >= n) return base::InvalidArgument("grammar: no root rule");
  for (size_t r = 0; r < n; ++r) {
    if (rules_[r].empty()) return base::InvalidArgument("grammar: rule '" + names_[r] + "' has no alternative");
    for (const Sequence& seq : rules_[r]) {
      for (const Symbol& s : seq) {
        if (s.rule >= static_cast<int64_t>(n)) return base::InvalidArgument("grammar: bad rule reference");
        if (s.rule < 0 && s.ranges.empty()) return base::InvalidArgument("grammar: empty byte set");
      }
    }
  }
  // nullable[r]: r can match the empty string (fixed point).
  std::vector<bool> nullable(n, false);
  for (bool changed = true; changed;) {
    changed = false;
    for (size_t r = 0; r < n; ++r) {
      if (nullable[r]) continue;
      for (const Sequence& seq : rules_[r]) {
        bool all = true;
        for (const Symbol& s : seq) all = all && s.rule >= 0 && nullable[static_cast<size_t>(s.rule)];
        if (all) {
          nullable[r] = changed = true;
          break;
        }
      }
    }
  }
  // Left recursion: a cycle in "r can start with rule s" (through nullable
  // prefixes). Depth-first search with colours.
  std::vector<int> colour(n, 0);  // 0 new, 1 on the path, 2 done
  std::function<bool(size_t)> cyclic = [&](size_t r) {
    colour[r] = 1;
    for (const Sequence& seq : rules_[r]) {
      for (const Symbol& s : seq) {
        if (s.rule < 0) break;
        const size_t t = static_cast<size_t>(s.rule);
        if (colour[t] == 1 || (colour[t] == 0 && cyclic(t))) return true;
        if (!nullable[t]) break;
      }
    }
    colour[r] = 2;
    return false;
  };
  for (size_t r = 0; r < n; ++r) {
    if (colour[r] == 0 && cyclic(r)) {
      return base::InvalidArgument("grammar: rule '" + names_[r] + "' is left-recursive");
    }
  }
  Grammar g;
  g.root_ = root;
  g.rule_names_ = std::move(names_);
  g.rule_alts_.resize(n);
  for (size_t r = 0; r < n; ++r) {
    for (const Sequence& seq : rules_[r]) {
      g.rule_alts_[r].push_back(static_cast<uint32_t>(g.elements_.size()));
      for (const Symbol& s : seq) {
        Element e;
        if (s.rule >= 0) {
          e.kind = Element::Kind::kRule;
          e.rule = static_cast<uint32_t>(s.rule);
        } else {
          e.kind = Element::Kind::kBytes;
          e.range_begin = static_cast<uint32_t>(g.ranges_.size());
          g.ranges_.insert(g.ranges_.end(), s.ranges.begin(), s.ranges.end());
          e.range_end = static_cast<uint32_t>(g.ranges_.size());
        }
        g.elements_.push_back(e);
      }
      g.elements_.push_back(Element{});  // kEnd
    }
  }
  return g;
}

}  // namespace engine::grammar
