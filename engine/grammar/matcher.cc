#include "engine/grammar/matcher.h"

#include <algorithm>

namespace engine::grammar {

Matcher::Matcher(std::shared_ptr<const Grammar> grammar) : grammar_(std::move(grammar)) {}

StackId Matcher::Push(uint32_t element, StackId parent) {
  // A finished alternative returns to its parent: tail calls keep right-
  // recursive repetition from growing the stack.
  const std::vector<Element>& elements = grammar_->elements();
  while (elements[element].kind == Element::Kind::kEnd) {
    if (parent == kAccept) return kAccept;
    element = nodes_[static_cast<size_t>(parent)].element;
    parent = nodes_[static_cast<size_t>(parent)].parent;
  }
  const uint64_t key = Key(element, parent);
  auto it = index_.find(key);
  if (it != index_.end()) return it->second;
  const StackId id = static_cast<StackId>(nodes_.size());
  nodes_.push_back(Node{element, parent});
  index_.emplace(key, id);
  return id;
}

void Matcher::Expand(StackId top, State* out) {
  if (top == kAccept) {
    out->push_back(kAccept);
    return;
  }
  const Node node = nodes_[static_cast<size_t>(top)];
  const Element& e = grammar_->elements()[node.element];
  if (e.kind == Element::Kind::kBytes) {
    out->push_back(top);
    return;
  }
  // A rule reference: continue after it, inside each alternative.
  const StackId after = Push(node.element + 1, node.parent);
  for (uint32_t alt : grammar_->alternatives(e.rule)) Expand(Push(alt, after), out);
}

State Matcher::Start() {
  State s;
  for (uint32_t alt : grammar_->alternatives(grammar_->root())) Expand(Push(alt, kAccept), &s);
  std::sort(s.begin(), s.end());
  s.erase(std::unique(s.begin(), s.end()), s.end());
  return s;
}

void Matcher::Advance(const State& from, uint8_t byte, State* to) {
  to->clear();
  for (StackId top : from) {
    if (top == kAccept) continue;
    const Node node = nodes_[static_cast<size_t>(top)];
    if (!grammar_->Matches(grammar_->elements()[node.element], byte)) continue;
    Expand(Push(node.element + 1, node.parent), to);
  }
  std::sort(to->begin(), to->end());
  to->erase(std::unique(to->begin(), to->end()), to->end());
}

std::vector<uint32_t> Matcher::Elements(StackId id) const {
  std::vector<uint32_t> out;
  for (; id != kAccept; id = nodes_[static_cast<size_t>(id)].parent) out.push_back(nodes_[static_cast<size_t>(id)].element);
  std::reverse(out.begin(), out.end());
  return out;
}

StackId Matcher::Build(const std::vector<uint32_t>& elements) {
  StackId id = kAccept;
  for (uint32_t e : elements) {
    const uint64_t key = Key(e, id);
    auto it = index_.find(key);
    if (it != index_.end()) {
      id = it->second;
      continue;
    }
    const StackId fresh = static_cast<StackId>(nodes_.size());
    nodes_.push_back(Node{e, id});
    index_.emplace(key, fresh);
    id = fresh;
  }
  return id;
}

void Matcher::Rewind(size_t mark) {
  while (nodes_.size() > mark) {
    const Node& n = nodes_.back();
    index_.erase(Key(n.element, n.parent));
    nodes_.pop_back();
  }
}

}  // namespace engine::grammar
