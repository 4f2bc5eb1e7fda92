#include "engine/chat/jinja_eval.h"

#include "engine/chat/jinja_builtins.h"
#include "engine/chat/jinja_lexer.h"
#include "engine/chat/jinja_operators.h"

namespace engine::jinja {

EnvPtr NewEnv(EnvPtr parent) {
  auto env = std::make_shared<Env>();
  if (parent) env->namespace_builtin = parent->namespace_builtin;
  env->parent = std::move(parent);
  return env;
}

Value LookupVariable(const Env& env, const std::string& name) {
  for (const Env* scope = &env; scope != nullptr; scope = scope->parent.get()) {
    auto it = scope->vars.find(name);
    if (it != scope->vars.end()) return it->second;
    if (name == "namespace") return scope->namespace_builtin;
  }
  return Value();
}

class Evaluator::DepthGuard {
 public:
  explicit DepthGuard(Evaluator* e) : e_(e) { ++e_->depth_; }
  ~DepthGuard() { --e_->depth_; }
  base::Status Check() const {
    if (e_->depth_ > e_->limits_.max_depth) {
      return base::ResourceExhausted("template recursion deeper than " + std::to_string(e_->limits_.max_depth) +
                                     " levels");
    }
    if (++e_->steps_ > e_->limits_.max_steps) {
      return base::ResourceExhausted("template ran more than " + std::to_string(e_->limits_.max_steps) + " steps");
    }
    return base::Status();
  }

 private:
  Evaluator* e_;
};

Evaluator::Evaluator(std::string_view source, const Limits& limits, const base::Clock* clock)
    : source_(source), limits_(limits), clock_(clock) {}

base::Result<std::string> Evaluator::Render(const Program& program, const EnvPtr& globals) {
  std::string out;
  base::Status status = ExecBlock(program.body, globals, &out);
  if (signal_ != LoopSignal::kNone) {
    return base::InvalidArgument(std::string(signal_ == LoopSignal::kBreak ? "break" : "continue") +
                                 " outside of a loop");
  }
  RETURN_IF_ERROR(status);
  return out;
}

base::Status Evaluator::CheckSize(const Value& v) const {
  if (v.is_string() && v.str().size() > limits_.max_bytes) {
    return base::ResourceExhausted("string longer than " + std::to_string(limits_.max_bytes) + " bytes");
  }
  if (v.depth() > limits_.max_value_depth) {
    return base::ResourceExhausted("value nested deeper than " + std::to_string(limits_.max_value_depth) + " levels");
  }
  if (v.is_array() && v.array().items.size() > limits_.max_array_items) {
    return base::ResourceExhausted("array longer than " + std::to_string(limits_.max_array_items) + " items");
  }
  return base::Status();
}

// The innermost failing node names the position; loop signals pass through.
base::Status Evaluator::Annotate(const base::Status& status, const Node& node) {
  if (signal_ != LoopSignal::kNone || error_annotated_) return status;
  error_annotated_ = true;
  return base::Status(status.code(), "chat template error at " + SourcePosition(source_, node.offset) + ": " +
                                         status.message());
}

base::Status Evaluator::ExecBlock(const NodeList& body, const EnvPtr& env, std::string* out) {
  for (const NodePtr& node : body) RETURN_IF_ERROR(Exec(*node, env, out));
  return base::Status();
}

base::Status Evaluator::Exec(const Node& node, const EnvPtr& env, std::string* out) {
  DepthGuard guard(this);
  base::Status status = guard.Check();
  if (status.ok()) status = ExecNode(node, env, out);
  if (status.ok() && out->size() > limits_.max_bytes) {
    status = base::ResourceExhausted("output longer than " + std::to_string(limits_.max_bytes) + " bytes");
  }
  return status.ok() ? status : Annotate(status, node);
}

base::Status Evaluator::AppendOutput(const Value& v, std::string* out) {
  if (v.is_null() || v.is_undefined()) return base::Status();
  if (v.is_string()) {
    out->append(v.str());
    return base::Status();
  }
  ASSIGN_OR_RETURN(std::string text, ToOutputString(v));
  out->append(text);
  return base::Status();
}

base::Status Evaluator::ExecNode(const Node& node, const EnvPtr& env, std::string* out) {
  switch (node.kind) {
    case NodeKind::kComment:
      return base::Status();
    case NodeKind::kIf: {
      ASSIGN_OR_RETURN(Value test, Eval(*node.a, env));
      return ExecBlock(Truthy(test) ? node.list : node.list2, env, out);
    }
    case NodeKind::kFor:
      return ExecFor(node, env, out);
    case NodeKind::kSet:
      return ExecSet(node, env);
    case NodeKind::kMacro:
      return DefineMacro(node, env);
    case NodeKind::kCallBlock: {
      ASSIGN_OR_RETURN(Value result, ExecCallBlock(node, env));
      return AppendOutput(result, out);
    }
    case NodeKind::kFilterBlock: {
      std::string body;
      RETURN_IF_ERROR(ExecBlock(node.list, env, &body));
      ASSIGN_OR_RETURN(Value result, ApplyFilter(Value::String(std::move(body)), *node.a, env));
      return AppendOutput(result, out);
    }
    case NodeKind::kBreak:
    case NodeKind::kContinue:
      signal_ = node.kind == NodeKind::kBreak ? LoopSignal::kBreak : LoopSignal::kContinue;
      return base::Cancelled("loop control");
    default: {
      ASSIGN_OR_RETURN(Value value, Eval(node, env));
      return AppendOutput(value, out);
    }
  }
}

base::Result<Value> Evaluator::Eval(const Node& node, const EnvPtr& env) {
  DepthGuard guard(this);
  base::Status status = guard.Check();
  if (status.ok()) {
    base::Result<Value> result = EvalNode(node, env);
    if (result.ok()) {
      status = CheckSize(*result);
      if (status.ok()) return result;
    } else {
      status = result.status();
    }
  }
  return Annotate(status, node);
}

base::Result<Value> Evaluator::EvalNode(const Node& node, const EnvPtr& env) {
  switch (node.kind) {
    case NodeKind::kInteger:
      return Value::Integer(node.number);
    case NodeKind::kFloat:
      return Value::Float(node.number);
    case NodeKind::kString:
      return Value::String(node.text);
    case NodeKind::kArray:
    case NodeKind::kTuple:
    case NodeKind::kObject:
      return EvalLiteral(node, env);
    case NodeKind::kIdentifier:
      return LookupVariable(*env, node.text);
    case NodeKind::kMember:
      return EvalMember(node, env);
    case NodeKind::kCall:
      return EvalCall(node, env);
    case NodeKind::kUnary:
      return EvalUnary(node, env);
    case NodeKind::kBinary: {
      ASSIGN_OR_RETURN(Value left, Eval(*node.a, env));
      if (node.text == "and") return Truthy(left) ? Eval(*node.b, env) : left;
      if (node.text == "or") return Truthy(left) ? left : Eval(*node.b, env);
      ASSIGN_OR_RETURN(Value right, Eval(*node.b, env));
      return ApplyBinary(node.text, left, right);
    }
    case NodeKind::kFilter: {
      ASSIGN_OR_RETURN(Value operand, Eval(*node.a, env));
      return ApplyFilter(operand, *node.b, env);
    }
    case NodeKind::kTest: {
      ASSIGN_OR_RETURN(Value operand, Eval(*node.a, env));
      ASSIGN_OR_RETURN(bool result, RunTest(node.text, operand, nullptr));
      return Value::Bool(node.flag ? !result : result);
    }
    case NodeKind::kSelect: {
      ASSIGN_OR_RETURN(Value condition, Eval(*node.b, env));
      if (!Truthy(condition)) return Value();
      return Eval(*node.a, env);
    }
    case NodeKind::kTernary: {
      ASSIGN_OR_RETURN(Value condition, Eval(*node.a, env));
      return Eval(Truthy(condition) ? *node.b : *node.c, env);
    }
    default:
      break;
  }
  return base::InvalidArgument("this expression is not allowed here");
}

}  // namespace engine::jinja
