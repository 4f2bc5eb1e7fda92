// Recognizes prefixes of a Grammar byte by byte.
//
// The state is a set of parse stacks (as in llama.cpp's grammar sampler):
// each stack lists the elements still to match, innermost last. Stacks are
// linked nodes in an arena, hash-consed so that equal stacks are one node
// and the state set stays small for the near-deterministic grammars the
// JSON-schema compiler writes. A state is a sorted vector of node ids;
// kAccept marks a stack that has matched the whole root rule.
//
// Threading: one thread uses a Matcher at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <unordered_map>
#include <vector>

#include "engine/grammar/grammar.h"

namespace engine::grammar {

using StackId = int32_t;
inline constexpr StackId kAccept = -1;  // the empty stack: the root is done
using State = std::vector<StackId>;     // sorted, unique

class Matcher {
 public:
  explicit Matcher(std::shared_ptr<const Grammar> grammar);

  // The state before any byte: the root rule expanded.
  State Start();
  // The state after `byte`, empty when the byte cannot continue any stack.
  void Advance(const State& from, uint8_t byte, State* to);
  static bool IsComplete(const State& s) { return !s.empty() && s.front() == kAccept; }

  // Arena checkpoints: Mark() before exploring, Rewind(mark) to drop the
  // stacks made since (states made before the mark stay valid).
  size_t Mark() const { return nodes_.size(); }
  void Rewind(size_t mark);

  const Grammar& grammar() const { return *grammar_; }

  // A stack's elements, innermost last; and the stack rebuilt from them
  // (for compacting the arena around a state).
  std::vector<uint32_t> Elements(StackId id) const;
  StackId Build(const std::vector<uint32_t>& elements);

 private:
  struct Node {
    uint32_t element;  // next element to match
    StackId parent;    // the rest of the stack
  };
  // The stack [element] + parent, with finished alternatives (kEnd) popped.
  StackId Push(uint32_t element, StackId parent);
  // Adds every stack `top` expands to (rule references opened) to `out`.
  void Expand(StackId top, State* out);
  static uint64_t Key(uint32_t element, StackId parent) {
    return (static_cast<uint64_t>(element) << 32) | static_cast<uint32_t>(parent);
  }

  std::shared_ptr<const Grammar> grammar_;
  std::vector<Node> nodes_;
  std::unordered_map<uint64_t, StackId> index_;
};

}  // namespace engine::grammar
