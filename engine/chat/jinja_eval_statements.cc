// for, set, macro and call blocks.
#include <algorithm>

#include "engine/chat/jinja_builtins.h"
#include "engine/chat/jinja_eval.h"

namespace engine::jinja {
namespace {

// The reference finds `kwargs`/`varargs` reads that come before any
// declaration of those names, walking the tree in Jinja's visit order.
class SpecialArgScanner {
 public:
  SpecialArgs result;

  void DeclareParams(const NodeList& params) {
    for (const NodePtr& p : params) Declare(p->text);
  }
  void VisitList(const NodeList& nodes) {
    for (const NodePtr& n : nodes) Visit(n.get());
  }

  void Visit(const Node* n) {
    if (n == nullptr) return;
    switch (n->kind) {
      case NodeKind::kFor:
        DeclareTarget(*n->a);
        if (n->b->kind == NodeKind::kSelect) {  // the loop condition is visited last
          Visit(n->b->a.get());
          VisitList(n->list);
          VisitList(n->list2);
          Visit(n->b->b.get());
        } else {
          Visit(n->b.get());
          VisitList(n->list);
          VisitList(n->list2);
        }
        return;
      case NodeKind::kSet:
        DeclareTarget(*n->a);
        Visit(n->b.get());
        VisitList(n->list);
        return;
      case NodeKind::kMacro:
        DeclareParams(n->list);
        VisitDefaults(n->list);
        VisitList(n->list2);
        return;
      case NodeKind::kCallBlock:
        Visit(n->a.get());
        DeclareParams(n->list);
        VisitDefaults(n->list);
        VisitList(n->list2);
        return;
      case NodeKind::kFilterBlock:
        VisitList(n->list);
        VisitFilter(*n->a);
        return;
      case NodeKind::kIdentifier:
        if (n->text == "kwargs" && !declared_kwargs_) result.kwargs = true;
        if (n->text == "varargs" && !declared_varargs_) result.varargs = true;
        return;
      case NodeKind::kMember:
        Visit(n->a.get());
        if (n->flag) Visit(n->b.get());
        return;
      case NodeKind::kFilter:
        Visit(n->a.get());
        VisitFilter(*n->b);
        return;
      case NodeKind::kTest:
      case NodeKind::kKeywordArg:
        Visit(n->a.get());
        return;
      case NodeKind::kSelect:
        Visit(n->b.get());
        Visit(n->a.get());
        return;
      case NodeKind::kObject:
        for (size_t i = 0; i < n->list.size(); ++i) {
          Visit(n->list[i].get());
          Visit(n->list2[i].get());
        }
        return;
      default:
        Visit(n->a.get());
        Visit(n->b.get());
        Visit(n->c.get());
        VisitList(n->list);
        VisitList(n->list2);
    }
  }

 private:
  void Declare(const std::string& name) {
    if (name == "kwargs") declared_kwargs_ = true;
    if (name == "varargs") declared_varargs_ = true;
  }
  void DeclareTarget(const Node& target) {
    if (target.kind == NodeKind::kIdentifier) Declare(target.text);
    if (target.kind == NodeKind::kTuple) {
      for (const NodePtr& item : target.list) DeclareTarget(*item);
    }
  }
  void VisitDefaults(const NodeList& params) {
    for (const NodePtr& p : params) {
      if (p->kind == NodeKind::kKeywordArg) Visit(p->a.get());
    }
  }
  void VisitFilter(const Node& filter) {
    if (filter.kind == NodeKind::kCall) VisitList(filter.list);  // the name itself is not a variable
  }

  bool declared_kwargs_ = false;
  bool declared_varargs_ = false;
};

base::Status CheckUnpack(const Node& target, const Value& item) {
  if (target.kind != NodeKind::kTuple) return base::Status();
  if (!item.is_array() || item.is_tuple()) {
    return base::InvalidArgument("Cannot unpack non-iterable type: " + std::string(TypeName(item)));
  }
  size_t want = target.list.size(), have = item.array().items.size();
  if (want != have) return base::InvalidArgument(std::string("Too ") + (want > have ? "few" : "many") + " items to unpack");
  return base::Status();
}

base::Status AssignLoopTarget(const Node& target, const Value& item, Env* scope) {
  if (target.kind == NodeKind::kIdentifier) {
    scope->vars[target.text] = item;
    return base::Status();
  }
  for (size_t j = 0; j < target.list.size(); ++j) {
    const Node& name = *target.list[j];
    if (name.kind != NodeKind::kIdentifier) return base::InvalidArgument("Cannot unpack non-identifier type");
    scope->vars[name.text] = item.array().items[j];
  }
  return base::Status();
}

Value LoopObject(const std::vector<Value>& items, size_t i) {
  const double n = static_cast<double>(items.size()), k = static_cast<double>(i);
  auto loop = std::make_shared<ObjectData>();
  loop->Set("index", Value::Integer(k + 1));
  loop->Set("index0", Value::Integer(k));
  loop->Set("revindex", Value::Integer(n - k));
  loop->Set("revindex0", Value::Integer(n - k - 1));
  loop->Set("first", Value::Bool(i == 0));
  loop->Set("last", Value::Bool(i + 1 == items.size()));
  loop->Set("length", Value::Integer(n));
  loop->Set("previtem", i > 0 ? items[i - 1] : Value());
  loop->Set("nextitem", i + 1 < items.size() ? items[i + 1] : Value());
  return Value::Object(std::move(loop));
}

}  // namespace

SpecialArgs ScanSpecialArgs(const NodeList& params, const NodeList& body) {
  SpecialArgScanner scanner;
  scanner.DeclareParams(params);
  scanner.VisitList(body);
  return scanner.result;
}

base::Status Evaluator::ExecFor(const Node& node, const EnvPtr& env, std::string* out) {
  EnvPtr scope = NewEnv(env);
  const Node& target = *node.a;
  const Node* condition = nullptr;
  Value iterable;
  if (node.b->kind == NodeKind::kSelect) {
    ASSIGN_OR_RETURN(iterable, Eval(*node.b->a, scope));
    condition = node.b->b.get();
  } else {
    ASSIGN_OR_RETURN(iterable, Eval(*node.b, scope));
  }
  std::vector<Value> candidates;
  if (iterable.is_array()) {
    candidates = iterable.array().items;
  } else if (iterable.is_object()) {
    for (const auto& entry : iterable.object().entries()) candidates.push_back(Value::String(entry.first));
  } else {
    return base::InvalidArgument("Expected iterable or object type in for loop: got " + std::string(TypeName(iterable)));
  }
  // The reference filters every item before running the body once.
  std::vector<Value> items;
  for (const Value& item : candidates) {
    RETURN_IF_ERROR(CheckUnpack(target, item));
    if (condition != nullptr) {
      EnvPtr item_scope = NewEnv(scope);
      RETURN_IF_ERROR(AssignLoopTarget(target, item, item_scope.get()));
      ASSIGN_OR_RETURN(Value keep, Eval(*condition, item_scope));
      if (!Truthy(keep)) continue;
    }
    items.push_back(item);
  }
  bool iterated = false;
  for (size_t i = 0; i < items.size(); ++i) {
    scope->vars["loop"] = LoopObject(items, i);
    RETURN_IF_ERROR(AssignLoopTarget(target, items[i], scope.get()));
    const size_t mark = out->size();
    base::Status status = ExecBlock(node.list, scope, out);
    if (!status.ok()) {
      if (signal_ == LoopSignal::kNone) return status;
      // break/continue discard what this iteration rendered so far.
      const bool is_break = signal_ == LoopSignal::kBreak;
      signal_ = LoopSignal::kNone;
      out->resize(mark);
      if (is_break) break;
      continue;
    }
    iterated = true;
  }
  if (!iterated) RETURN_IF_ERROR(ExecBlock(node.list2, scope, out));
  return base::Status();
}

base::Status Evaluator::ExecSet(const Node& node, const EnvPtr& env) {
  Value value;
  if (node.b) {
    ASSIGN_OR_RETURN(value, Eval(*node.b, env));
  } else {
    std::string body;
    RETURN_IF_ERROR(ExecBlock(node.list, env, &body));
    value = Value::String(std::move(body));
  }
  const Node& target = *node.a;
  switch (target.kind) {
    case NodeKind::kIdentifier:
      env->vars[target.text] = std::move(value);
      return base::Status();
    case NodeKind::kTuple: {
      if (!value.is_array()) return base::InvalidArgument("Cannot unpack non-iterable type in set: " + std::string(TypeName(value)));
      size_t want = target.list.size(), have = value.array().items.size();
      if (want != have) {
        return base::InvalidArgument(std::string("Too ") + (want > have ? "few" : "many") + " items to unpack in set");
      }
      for (size_t i = 0; i < want; ++i) {
        if (target.list[i]->kind != NodeKind::kIdentifier) return base::InvalidArgument("Cannot unpack to non-identifier in set");
        env->vars[target.list[i]->text] = value.array().items[i];
      }
      return base::Status();
    }
    case NodeKind::kMember: {
      ASSIGN_OR_RETURN(Value object, Eval(*target.a, env));
      if (!object.is_namespace()) return base::InvalidArgument("cannot assign attribute on non-namespace object");
      if (target.b->kind != NodeKind::kIdentifier) {
        return base::InvalidArgument("Cannot assign to member with non-identifier property");
      }
      object.object().Set(target.b->text, std::move(value));
      return CheckSize(object);
    }
    default:
      return base::InvalidArgument("invalid assignment target");
  }
}

base::Status Evaluator::BindMacroArguments(const std::string& display_name, const NodeList& params,
                                           SpecialArgs special, Args args, const EnvPtr& scope) {
  Kwargs kwargs;
  if (!args.empty() && args.back().is_kwargs()) {
    kwargs = args.back().object().entries();
    args.pop_back();
  }
  std::vector<const Node*> pending_defaults;
  for (size_t i = 0; i < params.size(); ++i) {
    const Node& param = *params[i];
    std::optional<Value> value;
    if (i < args.size()) value = args[i];
    if (!value) {
      auto it = std::find_if(kwargs.begin(), kwargs.end(), [&](const auto& kv) { return kv.first == param.text; });
      if (it != kwargs.end()) {
        value = it->second;
        kwargs.erase(it);
      }
    }
    if (!value && param.kind == NodeKind::kKeywordArg) pending_defaults.push_back(&param);
    scope->vars[param.text] = value ? *value : Value();
  }
  if (special.kwargs) {
    auto object = std::make_shared<ObjectData>();
    for (auto& [key, v] : kwargs) object->Set(key, v);
    scope->vars["kwargs"] = Value::Object(std::move(object));
  } else if (!kwargs.empty()) {
    return base::InvalidArgument("macro " + display_name + " takes no keyword argument '" + kwargs[0].first + "'");
  }
  if (special.varargs) {
    std::vector<Value> extra;
    for (size_t i = params.size(); i < args.size(); ++i) extra.push_back(args[i]);
    scope->vars["varargs"] = Value::Array(std::move(extra));
  } else if (args.size() > params.size()) {
    return base::InvalidArgument("macro " + display_name + " takes not more than " + std::to_string(params.size()) +
                                 " argument(s)");
  }
  for (const Node* param : pending_defaults) {
    ASSIGN_OR_RETURN(Value value, Eval(*param->a, scope));
    scope->vars[param->text] = std::move(value);
  }
  return base::Status();
}

base::Status Evaluator::DefineMacro(const Node& node, const EnvPtr& env) {
  const SpecialArgs special = ScanSpecialArgs(node.list, node.list2);
  const Node* macro = &node;
  env->vars[node.text] = MakeFunction(node.text, [this, macro, special](Args& args, const EnvPtr& call_env) -> base::Result<Value> {
    EnvPtr scope = NewEnv(call_env);
    RETURN_IF_ERROR(BindMacroArguments("'" + macro->text + "'", macro->list, special, args, scope));
    std::string out;
    RETURN_IF_ERROR(ExecBlock(macro->list2, scope, &out));
    return Value::String(std::move(out));
  });
  return base::Status();
}

base::Result<Value> Evaluator::ExecCallBlock(const Node& node, const EnvPtr& env) {
  const SpecialArgs special = ScanSpecialArgs(node.list, node.list2);
  const Node* block = &node;
  std::weak_ptr<Env> weak_env = env;
  Value caller = MakeFunction("caller", [this, block, special, weak_env](Args& args, const EnvPtr&) -> base::Result<Value> {
    EnvPtr definition_env = weak_env.lock();
    if (!definition_env) return base::InvalidArgument("caller() used after its call block ended");
    EnvPtr scope = NewEnv(definition_env);
    RETURN_IF_ERROR(BindMacroArguments("None", block->list, special, args, scope));
    std::string out;
    RETURN_IF_ERROR(ExecBlock(block->list2, scope, &out));
    return Value::String(std::move(out));
  });
  const Node& call = *node.a;
  Args args;
  Kwargs kwargs;
  RETURN_IF_ERROR(EvalArguments(call.list, env, &args, &kwargs));
  auto bundle = std::make_shared<ObjectData>(/*is_kwargs=*/true);
  for (auto& [key, v] : kwargs) bundle->Set(key, v);
  args.push_back(Value::Object(std::move(bundle)));
  ASSIGN_OR_RETURN(Value fn, Eval(*call.a, env));
  if (!fn.is_function()) {
    return base::InvalidArgument("Cannot call something that is not a function: got " + std::string(TypeName(fn)));
  }
  EnvPtr call_env = NewEnv(env);
  call_env->vars["caller"] = std::move(caller);
  return fn.function().call(args, call_env);
}

}  // namespace engine::jinja
