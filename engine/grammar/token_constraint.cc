// TokenConstraint: a grammar Matcher bound to a vocabulary. The mask walks
// the vocabulary sorted by bytes, so tokens that share a prefix share the
// matcher work for it (an implicit trie), and a prefix the grammar rejects
// skips every token that starts with it.
#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <unordered_map>

#include "engine/constrained.h"
#include "engine/grammar/json_schema.h"
#include "engine/grammar/matcher.h"
#include "engine/grammar/tool_call.h"
#include "engine/model/model.h"
#include "engine/tokenizer/tokenizer.h"

namespace engine {
namespace {

// The states one mask computation meets, interned, with their byte
// transitions memoized. Tokens share most transitions (inside a JSON
// string every plain byte at a given depth leads to the same state), so
// most edges of the vocabulary walk cost one table lookup, not an Advance.
class StateTable {
 public:
  static constexpr int32_t kUnknown = -2;
  static constexpr int32_t kDead = -1;

  void Clear() {
    states_.clear();
    next_.clear();
    index_.clear();
  }

  int32_t Intern(grammar::State s) {
    auto it = index_.find(s);
    if (it != index_.end()) return it->second;
    const auto id = static_cast<int32_t>(states_.size());
    index_.emplace(s, id);
    states_.push_back(std::move(s));
    next_.emplace_back();
    next_.back().fill(kUnknown);
    return id;
  }

  int32_t Step(grammar::Matcher* m, int32_t from, uint8_t byte) {
    int32_t& to = next_[static_cast<size_t>(from)][byte];
    if (to != kUnknown) return to;
    m->Advance(states_[static_cast<size_t>(from)], byte, &scratch_);
    const int32_t id = scratch_.empty() ? kDead : Intern(scratch_);
    next_[static_cast<size_t>(from)][byte] = id;  // `to` may dangle: Intern grows next_
    return id;
  }

 private:
  struct Hash {
    size_t operator()(const grammar::State& s) const {
      uint64_t h = 1469598103934665603ull;
      for (grammar::StackId id : s) h = (h ^ static_cast<uint32_t>(id)) * 1099511628211ull;
      return static_cast<size_t>(h);
    }
  };
  std::vector<grammar::State> states_;
  std::vector<std::array<int32_t, 256>> next_;
  std::unordered_map<grammar::State, int32_t, Hash> index_;
  grammar::State scratch_;
};

}  // namespace

struct TokenConstraint::Impl {
  std::shared_ptr<const LoadedModel> model;  // keeps the vocabulary alive
  std::shared_ptr<const grammar::Grammar> grammar;
  std::unique_ptr<grammar::Matcher> matcher;
  grammar::State state;
  size_t base_mark = 0;                // arena size holding `state`
  std::vector<std::string> pieces;     // [n_vocab] bytes each token adds; "" = never allowed
  std::vector<int32_t> order;          // token ids with a piece, sorted by piece
  std::vector<int32_t> end_tokens;     // end-of-generation ids
  StateTable table;                    // scratch: states met by one mask
  std::vector<int32_t> depth;          // scratch: table state after each prefix length
  std::vector<uint8_t> allowed;        // scratch: [n_vocab]

  void Init(std::shared_ptr<const grammar::Grammar> g) {
    grammar = std::move(g);
    matcher = std::make_unique<grammar::Matcher>(grammar);
    state = matcher->Start();
    base_mark = matcher->Mark();
    const Tokenizer& tok = model->tokenizer();
    const int32_t n = tok.n_vocab();
    pieces.assign(static_cast<size_t>(n), std::string());
    allowed.assign(static_cast<size_t>(n), 0);
    for (int32_t id = 0; id < n; ++id) {
      if (tok.IsEndOfGeneration(id)) {
        end_tokens.push_back(id);
        continue;
      }
      // Control tokens never spell grammar text: their rendering is not
      // their meaning (and detokenized output would differ).
      if (tok.IsControl(id)) continue;
      pieces[static_cast<size_t>(id)] = tok.TokenToPiece(id);
      if (!pieces[static_cast<size_t>(id)].empty()) order.push_back(id);
    }
    std::sort(order.begin(), order.end(),
              [&](int32_t a, int32_t b) { return pieces[static_cast<size_t>(a)] < pieces[static_cast<size_t>(b)]; });
  }

  void ComputeAllowed() {
    std::fill(allowed.begin(), allowed.end(), 0);
    if (grammar::Matcher::IsComplete(state)) {
      for (int32_t id : end_tokens) allowed[static_cast<size_t>(id)] = 1;
    }
    const size_t mark = matcher->Mark();
    table.Clear();
    if (depth.empty()) depth.resize(1);
    depth[0] = table.Intern(state);
    std::string_view prev;
    size_t valid = 0;  // depth[0..valid] hold the states of prev's prefixes
    for (size_t i = 0; i < order.size();) {
      const std::string_view piece = pieces[static_cast<size_t>(order[i])];
      size_t k = 0;
      const size_t limit = std::min({prev.size(), piece.size(), valid});
      while (k < limit && prev[k] == piece[k]) ++k;
      if (depth.size() < piece.size() + 1) depth.resize(piece.size() + 1);
      while (k < piece.size()) {
        depth[k + 1] = table.Step(matcher.get(), depth[k], static_cast<uint8_t>(piece[k]));
        if (depth[k + 1] == StateTable::kDead) break;
        ++k;
      }
      valid = k;
      prev = piece;
      if (k == piece.size()) {
        allowed[static_cast<size_t>(order[i])] = 1;
        ++i;
        continue;
      }
      // piece[0..k] is dead: so is every token that starts with it.
      const std::string_view dead = piece.substr(0, k + 1);
      ++i;
      while (i < order.size() && std::string_view(pieces[static_cast<size_t>(order[i])]).starts_with(dead)) ++i;
    }
    matcher->Rewind(mark);
  }

  base::Status AcceptBytes(std::string_view bytes) {
    grammar::State cur = state, next;
    for (char c : bytes) {
      matcher->Advance(cur, static_cast<uint8_t>(c), &next);
      if (next.empty()) return base::InvalidArgument("constrained decoding: the grammar does not allow this text");
      cur.swap(next);
    }
    // Keep only what the new state reaches: rebuild it in a fresh arena
    // so the arena does not grow with the length of the text.
    state = Compact(cur);
    return base::Status::Ok();
  }

  // The same stacks, re-pushed into an emptied arena.
  grammar::State Compact(const grammar::State& s) {
    std::vector<std::vector<uint32_t>> stacks;
    for (grammar::StackId id : s) stacks.push_back(matcher->Elements(id));
    matcher->Rewind(0);
    grammar::State out;
    for (const auto& elements : stacks) out.push_back(matcher->Build(elements));
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    base_mark = matcher->Mark();
    return out;
  }
};

TokenConstraint::TokenConstraint(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
TokenConstraint::~TokenConstraint() = default;

namespace {

grammar::JsonGrammarLimits Limits(const JsonGrammarOptions& o) {
  grammar::JsonGrammarLimits l;
  l.max_string_chars = o.max_string_chars;
  l.max_array_items = o.max_array_items;
  l.max_number_digits = o.max_number_digits;
  return l;
}

}  // namespace

base::Result<std::unique_ptr<TokenConstraint>> TokenConstraint::ForJsonSchema(const Model& model,
                                                                              std::string_view schema_json,
                                                                              const JsonGrammarOptions& options) {
  nlohmann::ordered_json schema = nlohmann::ordered_json::parse(schema_json, nullptr, /*allow_exceptions=*/false);
  if (schema.is_discarded()) return base::InvalidArgument("constrained decoding: the JSON schema is not valid JSON");
  grammar::GrammarBuilder b;
  ASSIGN_OR_RETURN(uint32_t root, grammar::CompileJsonSchema(schema, Limits(options), &b));
  ASSIGN_OR_RETURN(grammar::Grammar g, std::move(b).Build(root));
  auto impl = std::make_unique<Impl>();
  impl->model = model.loaded();
  impl->Init(std::make_shared<const grammar::Grammar>(std::move(g)));
  return std::unique_ptr<TokenConstraint>(new TokenConstraint(std::move(impl)));
}

base::Result<std::unique_ptr<TokenConstraint>> TokenConstraint::ForToolCalls(const Model& model,
                                                                             const std::vector<ToolSchema>& tools,
                                                                             ToolCallSyntax syntax,
                                                                             const JsonGrammarOptions& options) {
  ASSIGN_OR_RETURN(grammar::Grammar g, grammar::CompileToolCallGrammar(tools, syntax, Limits(options)));
  auto impl = std::make_unique<Impl>();
  impl->model = model.loaded();
  impl->Init(std::make_shared<const grammar::Grammar>(std::move(g)));
  return std::unique_ptr<TokenConstraint>(new TokenConstraint(std::move(impl)));
}

void TokenConstraint::Mask(std::span<float> logits) {
  impl_->ComputeAllowed();
  const size_t n = std::min(logits.size(), impl_->allowed.size());
  for (size_t i = 0; i < n; ++i) {
    if (!impl_->allowed[i]) logits[i] = -std::numeric_limits<float>::infinity();
  }
}

base::Status TokenConstraint::Accept(int32_t token) {
  if (token < 0 || static_cast<size_t>(token) >= impl_->pieces.size()) {
    return base::InvalidArgument("constrained decoding: token " + std::to_string(token) + " is out of range");
  }
  if (std::find(impl_->end_tokens.begin(), impl_->end_tokens.end(), token) != impl_->end_tokens.end()) {
    if (!complete()) return base::InvalidArgument("constrained decoding: end of generation before the text is complete");
    return base::Status::Ok();
  }
  const std::string& piece = impl_->pieces[static_cast<size_t>(token)];
  if (piece.empty()) {
    return base::InvalidArgument("constrained decoding: token " + std::to_string(token) + " cannot be part of the text");
  }
  return impl_->AcceptBytes(piece);
}

base::Status TokenConstraint::AcceptText(std::string_view text) { return impl_->AcceptBytes(text); }

bool TokenConstraint::complete() const { return grammar::Matcher::IsComplete(impl_->state); }

bool TokenConstraint::finished() const { return impl_->state.size() == 1 && complete(); }

void TokenConstraint::Reset() {
  impl_->matcher->Rewind(0);
  impl_->state = impl_->matcher->Start();
  impl_->base_mark = impl_->matcher->Mark();
}

}  // namespace engine
