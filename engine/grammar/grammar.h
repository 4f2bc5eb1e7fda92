// A context-free grammar over bytes, the form constrained decoding runs on
// (DESIGN.md section 3.4). The JSON-schema compiler (json_schema.h) builds
// one; the matcher (matcher.h) recognizes its prefixes byte by byte.
//
// A rule is a list of alternatives; an alternative is a sequence of
// elements: a set of byte ranges (one byte) or a reference to a rule.
// Repetition is written as right recursion. Left recursion (a rule that can
// reach itself without consuming a byte) is refused by Build(), because the
// matcher expands rules eagerly.
//
// Ownership: a Grammar is immutable after Build() and safe to share.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace engine::grammar {

struct ByteRange {
  uint8_t lo = 0, hi = 0;  // inclusive
};

struct Element {
  enum class Kind : uint8_t { kBytes, kRule, kEnd };
  Kind kind = Kind::kEnd;
  uint32_t rule = 0;                    // kRule
  uint32_t range_begin = 0, range_end = 0;  // kBytes: Grammar::ranges()[begin, end)
};

class Grammar {
 public:
  // Alternatives of every rule, each a run of elements ending in kEnd.
  const std::vector<Element>& elements() const { return elements_; }
  const std::vector<ByteRange>& ranges() const { return ranges_; }
  // Start index (into elements()) of each alternative of `rule`.
  const std::vector<uint32_t>& alternatives(uint32_t rule) const { return rule_alts_[rule]; }
  const std::string& rule_name(uint32_t rule) const { return rule_names_[rule]; }
  size_t n_rules() const { return rule_alts_.size(); }
  uint32_t root() const { return root_; }

  bool Matches(const Element& e, uint8_t byte) const {
    for (uint32_t i = e.range_begin; i < e.range_end; ++i) {
      if (byte >= ranges_[i].lo && byte <= ranges_[i].hi) return true;
    }
    return false;
  }

 private:
  friend class GrammarBuilder;
  std::vector<Element> elements_;
  std::vector<ByteRange> ranges_;
  std::vector<std::vector<uint32_t>> rule_alts_;
  std::vector<std::string> rule_names_;
  uint32_t root_ = 0;
};

// One symbol of an alternative, as the compiler writes it.
struct Symbol {
  std::vector<ByteRange> ranges;  // one byte from these ranges, or
  int64_t rule = -1;              // a rule reference (>= 0)

  static Symbol Byte(uint8_t b) { return Symbol{{{b, b}}, -1}; }
  static Symbol Ranges(std::vector<ByteRange> r) { return Symbol{std::move(r), -1}; }
  static Symbol Ref(uint32_t rule) { return Symbol{{}, static_cast<int64_t>(rule)}; }
};
using Sequence = std::vector<Symbol>;

// Appends the bytes of `text` as one symbol each.
void AppendLiteral(std::string_view text, Sequence* seq);

class GrammarBuilder {
 public:
  // Declares a rule (its alternatives may come later, so rules can refer
  // to each other recursively). Names are for messages and need not be
  // unique.
  uint32_t NewRule(std::string name);
  void AddAlternative(uint32_t rule, Sequence seq);
  // A rule with one alternative, for convenience.
  uint32_t Rule(std::string name, Sequence seq);

  // Checks that every rule has an alternative and that no rule is left-
  // recursive, then freezes the grammar.
  base::Result<Grammar> Build(uint32_t root) &&;

 private:
  std::vector<std::vector<Sequence>> rules_;
  std::vector<std::string> names_;
};

}  // namespace engine::grammar
