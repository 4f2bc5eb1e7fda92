// Tree-walking evaluator for the Jinja subset.
//
// Semantics follow @huggingface/jinja (runtime.ts) rule by rule, quirks
// included, because chat templates must render byte-identically to it:
// macros see the caller's scope, `set` inside a loop stays in the loop,
// `break`/`continue` drop the current iteration's output, a loop whose
// iterations all `continue` renders its else block, string methods like
// strip() ignore their arguments, `==` is JavaScript's loose equality.
//
// Guards: nesting depth (runaway macro recursion), a step budget (runaway
// loops) and a byte cap on every string and on the output. Exceeding one
// gives ResourceExhausted; template errors give InvalidArgument with the
// line:column of the failing node.
//
// Threading: an Evaluator renders once, on one thread. The Program it
// walks must outlive it and is only read, so one parsed template can be
// rendered concurrently by separate Evaluators.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "base/clock.h"
#include "base/status.h"
#include "engine/chat/jinja_ast.h"
#include "engine/chat/jinja_value.h"

namespace engine::jinja {

struct Limits {
  size_t max_bytes = size_t{256} << 20;  // output, and any single string
  size_t max_array_items = size_t{1} << 22;
  int max_depth = 500;                   // nested evaluation frames
  uint32_t max_value_depth = 512;        // nested arrays/objects a render may build
  uint64_t max_steps = 20'000'000;       // node evaluations per render
};

// A variable scope. Every scope also resolves `namespace` to the builtin
// unless it assigned that name itself, exactly like the reference, where
// each Environment starts with its own `namespace` entry.
struct Env {
  std::unordered_map<std::string, Value> vars;
  EnvPtr parent;
  Value namespace_builtin;  // inherited from the parent
};

EnvPtr NewEnv(EnvPtr parent);
Value LookupVariable(const Env& env, const std::string& name);

// Whether a macro body reads `kwargs` / `varargs` before declaring them,
// which decides if extra arguments are collected or rejected.
struct SpecialArgs {
  bool kwargs = false;
  bool varargs = false;
};
SpecialArgs ScanSpecialArgs(const NodeList& params, const NodeList& body);

class Evaluator {
 public:
  // `source` is the template text, for line:column in errors. `clock` feeds
  // strftime_now.
  Evaluator(std::string_view source, const Limits& limits, const base::Clock* clock);

  base::Result<std::string> Render(const Program& program, const EnvPtr& globals);

  // Entry points for builtins (filters, macros) that evaluate nodes.
  base::Result<Value> Eval(const Node& node, const EnvPtr& env);
  base::Status ExecBlock(const NodeList& body, const EnvPtr& env, std::string* out);
  const Limits& limits() const { return limits_; }
  const base::Clock* clock() const { return clock_; }
  // Fails when a string or array result is over the limits.
  base::Status CheckSize(const Value& v) const;

 private:
  enum class LoopSignal { kNone, kBreak, kContinue };
  using Args = std::vector<Value>;
  using Kwargs = std::vector<std::pair<std::string, Value>>;

  class DepthGuard;

  base::Status Exec(const Node& node, const EnvPtr& env, std::string* out);
  base::Status ExecNode(const Node& node, const EnvPtr& env, std::string* out);
  base::Result<Value> EvalNode(const Node& node, const EnvPtr& env);
  base::Status Annotate(const base::Status& status, const Node& node);
  base::Status AppendOutput(const Value& v, std::string* out);

  // Statements (jinja_eval_statements.cc).
  base::Status ExecFor(const Node& node, const EnvPtr& env, std::string* out);
  base::Status ExecSet(const Node& node, const EnvPtr& env);
  base::Status DefineMacro(const Node& node, const EnvPtr& env);
  base::Result<Value> ExecCallBlock(const Node& node, const EnvPtr& env);
  base::Status BindMacroArguments(const std::string& display_name, const NodeList& params,
                                  SpecialArgs special, Args args, const EnvPtr& scope);

  // Expressions (jinja_eval_expressions.cc).
  base::Status EvalArguments(const NodeList& nodes, const EnvPtr& env, Args* args, Kwargs* kwargs);
  base::Result<Value> EvalCall(const Node& node, const EnvPtr& env);
  base::Result<Value> EvalMember(const Node& node, const EnvPtr& env);
  base::Result<Value> EvalSlice(const Value& object, const Node& slice, const EnvPtr& env);
  base::Result<Value> EvalUnary(const Node& node, const EnvPtr& env);
  base::Result<Value> EvalLiteral(const Node& node, const EnvPtr& env);

  // Filters (jinja_filters.cc).
  base::Result<Value> ApplyFilter(const Value& operand, const Node& filter, const EnvPtr& env);
  base::Result<Value> ApplyPlainFilter(const Value& operand, const std::string& name);
  base::Result<Value> ApplyCallFilter(const Value& operand, const Node& call, const EnvPtr& env);
  base::Result<Value> ApplyArrayCallFilter(const Value& operand, const std::string& name,
                                           const Node& call, const EnvPtr& env);
  base::Result<Value> ApplySelectAttr(const Value& operand, bool select, const Node& call, const EnvPtr& env);

  std::string_view source_;
  Limits limits_;
  const base::Clock* clock_;
  int depth_ = 0;
  uint64_t steps_ = 0;
  LoopSignal signal_ = LoopSignal::kNone;
  bool error_annotated_ = false;
};

}  // namespace engine::jinja
