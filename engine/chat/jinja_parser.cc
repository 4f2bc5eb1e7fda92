#include "engine/chat/jinja_parser.h"

#include <algorithm>
#include <initializer_list>
#include <set>
#include <utility>

#include "engine/chat/jinja_number.h"

namespace engine::jinja {
namespace {

enum class ArgsMode { kCall, kParameters };

class Parser {
 public:
  Parser(std::string_view source, const std::vector<Token>& tokens) : source_(source), tokens_(tokens) {}

  base::Result<Program> Run() {
    Program program;
    while (current_ < tokens_.size()) {
      ASSIGN_OR_RETURN(NodePtr node, ParseAny());
      program.body.push_back(std::move(node));
    }
    return program;
  }

 private:
  // Counts nesting on the C++ stack; every recursive entry point holds one.
  class DepthGuard {
   public:
    explicit DepthGuard(int* depth) : depth_(depth) { ++*depth_; }
    ~DepthGuard() { --*depth_; }
    bool exceeded() const { return *depth_ > kMaxParseDepth; }

   private:
    int* depth_;
  };

  const Token* Peek(size_t ahead = 0) const {
    return current_ + ahead < tokens_.size() ? &tokens_[current_ + ahead] : nullptr;
  }
  bool Is(TokenType type) const { return Peek() != nullptr && Peek()->type == type; }
  bool IsIdentifier(std::initializer_list<std::string_view> names) const {
    size_t k = 0;
    for (std::string_view name : names) {
      const Token* t = Peek(k++);
      if (t == nullptr || t->type != TokenType::kIdentifier || t->value != name) return false;
    }
    return true;
  }
  bool IsStatement(std::initializer_list<std::string_view> names) const {
    const Token* open = Peek();
    const Token* name = Peek(1);
    if (open == nullptr || open->type != TokenType::kOpenStatement || name == nullptr ||
        name->type != TokenType::kIdentifier) {
      return false;
    }
    return std::find(names.begin(), names.end(), name->value) != names.end();
  }
  uint32_t Offset() const {
    if (const Token* t = Peek()) return t->offset;
    return static_cast<uint32_t>(source_.size());
  }
  base::Status Error(const std::string& message) const {
    return base::InvalidArgument("syntax error at " + SourcePosition(source_, Offset()) + ": " + message);
  }
  base::Status Expect(TokenType type, std::string_view what) {
    if (!Is(type)) return Error("expected " + std::string(what));
    ++current_;
    return base::Status();
  }
  base::Status ExpectIdentifier(std::string_view name) {
    if (!IsIdentifier({name})) return Error("expected '" + std::string(name) + "'");
    ++current_;
    return base::Status();
  }
  // `{% name %}` closing a block.
  base::Status ExpectEndTag(std::string_view name) {
    RETURN_IF_ERROR(Expect(TokenType::kOpenStatement, "'{%' opening {% " + std::string(name) + " %}"));
    RETURN_IF_ERROR(ExpectIdentifier(name));
    return Expect(TokenType::kCloseStatement, "'%}'");
  }
  NodePtr Make(NodeKind kind, uint32_t offset) const { return std::make_unique<Node>(kind, offset); }

  base::Status ParseBodyUntil(std::initializer_list<std::string_view> names, NodeList* body) {
    while (!IsStatement(names)) {
      ASSIGN_OR_RETURN(NodePtr node, ParseAny());
      body->push_back(std::move(node));
    }
    return base::Status();
  }

  base::Result<NodePtr> ParseAny();
  base::Result<NodePtr> ParseStatement();
  base::Result<NodePtr> ParseCallBlock(uint32_t offset);
  base::Result<NodePtr> ParseFilterBlock(uint32_t offset);
  base::Result<NodePtr> ParseSet(uint32_t offset);
  base::Result<NodePtr> ParseIf(uint32_t offset);
  base::Result<NodePtr> ParseMacro(uint32_t offset);
  base::Result<NodePtr> ParseFor(uint32_t offset);
  base::Result<NodePtr> ParseExpressionSequence(bool primary);
  base::Result<NodePtr> ParseExpression();
  base::Result<NodePtr> ParseIfExpression();
  base::Result<NodePtr> ParseLogical(int level);
  base::Result<NodePtr> ParseNot();
  base::Result<NodePtr> ParseComparison();
  base::Result<NodePtr> ParseArithmetic(TokenType type);
  base::Result<NodePtr> ParseTest();
  base::Result<NodePtr> ParseFilter();
  base::Result<NodePtr> ParseUnarySign();
  base::Result<NodePtr> ParseCallMember();
  base::Result<NodePtr> ParseCallExpression(NodePtr callee);
  base::Status ParseArgs(ArgsMode mode, NodeList* args);
  base::Result<NodePtr> ParseSubscript();
  base::Result<NodePtr> ParseMember(NodePtr object);
  base::Result<NodePtr> ParsePrimary();

  std::string_view source_;
  const std::vector<Token>& tokens_;
  size_t current_ = 0;
  int depth_ = 0;
};

base::Result<NodePtr> Parser::ParseAny() {
  DepthGuard guard(&depth_);
  if (guard.exceeded()) return Error("template nested too deeply");
  const Token* t = Peek();
  if (t == nullptr) return Error("unexpected end of template (unclosed block?)");
  switch (t->type) {
    case TokenType::kComment: {
      ++current_;
      return Make(NodeKind::kComment, t->offset);
    }
    case TokenType::kText: {
      ++current_;
      NodePtr node = Make(NodeKind::kString, t->offset);
      node->text = t->value;
      return node;
    }
    case TokenType::kOpenStatement:
      return ParseStatement();
    case TokenType::kOpenExpression: {
      ++current_;
      ASSIGN_OR_RETURN(NodePtr expr, ParseExpression());
      RETURN_IF_ERROR(Expect(TokenType::kCloseExpression, "'}}'"));
      return expr;
    }
    default:
      return Error("unexpected '" + t->value + "'");
  }
}

base::Result<NodePtr> Parser::ParseStatement() {
  ++current_;  // {%
  const Token* name = Peek();
  if (name == nullptr || name->type != TokenType::kIdentifier) return Error("expected a statement name");
  const uint32_t offset = name->offset;
  const std::string keyword = name->value;
  ++current_;
  NodePtr result;
  if (keyword == "set") {
    return ParseSet(offset);
  } else if (keyword == "if") {
    ASSIGN_OR_RETURN(result, ParseIf(offset));
    RETURN_IF_ERROR(ExpectEndTag("endif"));
  } else if (keyword == "macro") {
    ASSIGN_OR_RETURN(result, ParseMacro(offset));
    RETURN_IF_ERROR(ExpectEndTag("endmacro"));
  } else if (keyword == "for") {
    ASSIGN_OR_RETURN(result, ParseFor(offset));
    RETURN_IF_ERROR(ExpectEndTag("endfor"));
  } else if (keyword == "call") {
    return ParseCallBlock(offset);
  } else if (keyword == "filter") {
    return ParseFilterBlock(offset);
  } else if (keyword == "break" || keyword == "continue") {
    RETURN_IF_ERROR(Expect(TokenType::kCloseStatement, "'%}'"));
    return Make(keyword == "break" ? NodeKind::kBreak : NodeKind::kContinue, offset);
  } else {
    current_--;
    return Error("unknown statement '" + keyword + "'");
  }
  return result;
}

base::Result<NodePtr> Parser::ParseCallBlock(uint32_t offset) {
  NodePtr block = Make(NodeKind::kCallBlock, offset);
  if (Is(TokenType::kOpenParen)) RETURN_IF_ERROR(ParseArgs(ArgsMode::kParameters, &block->list));
  ASSIGN_OR_RETURN(NodePtr callee, ParsePrimary());
  if (callee->kind != NodeKind::kIdentifier) return Error("expected a macro name after 'call'");
  NodePtr call = Make(NodeKind::kCall, callee->offset);
  call->a = std::move(callee);
  RETURN_IF_ERROR(ParseArgs(ArgsMode::kCall, &call->list));
  RETURN_IF_ERROR(Expect(TokenType::kCloseStatement, "'%}'"));
  block->a = std::move(call);
  RETURN_IF_ERROR(ParseBodyUntil({"endcall"}, &block->list2));
  RETURN_IF_ERROR(ExpectEndTag("endcall"));
  return block;
}

base::Result<NodePtr> Parser::ParseFilterBlock(uint32_t offset) {
  NodePtr block = Make(NodeKind::kFilterBlock, offset);
  ASSIGN_OR_RETURN(NodePtr filter, ParsePrimary());
  if (filter->kind == NodeKind::kIdentifier && Is(TokenType::kOpenParen)) {
    ASSIGN_OR_RETURN(filter, ParseCallExpression(std::move(filter)));
  }
  block->a = std::move(filter);
  RETURN_IF_ERROR(Expect(TokenType::kCloseStatement, "'%}'"));
  RETURN_IF_ERROR(ParseBodyUntil({"endfilter"}, &block->list));
  RETURN_IF_ERROR(ExpectEndTag("endfilter"));
  return block;
}

base::Result<NodePtr> Parser::ParseSet(uint32_t offset) {
  NodePtr set = Make(NodeKind::kSet, offset);
  ASSIGN_OR_RETURN(set->a, ParseExpressionSequence(false));
  if (Is(TokenType::kEquals)) {
    ++current_;
    ASSIGN_OR_RETURN(set->b, ParseExpressionSequence(false));
  } else {
    RETURN_IF_ERROR(Expect(TokenType::kCloseStatement, "'%}'"));
    RETURN_IF_ERROR(ParseBodyUntil({"endset"}, &set->list));
    ++current_;  // {%
    ++current_;  // endset
  }
  RETURN_IF_ERROR(Expect(TokenType::kCloseStatement, "'%}'"));
  return set;
}

base::Result<NodePtr> Parser::ParseIf(uint32_t offset) {
  DepthGuard guard(&depth_);
  if (guard.exceeded()) return Error("template nested too deeply");
  NodePtr node = Make(NodeKind::kIf, offset);
  ASSIGN_OR_RETURN(node->a, ParseExpression());
  RETURN_IF_ERROR(Expect(TokenType::kCloseStatement, "'%}'"));
  RETURN_IF_ERROR(ParseBodyUntil({"elif", "else", "endif"}, &node->list));
  if (IsStatement({"elif"})) {
    uint32_t elif_offset = Peek(1)->offset;
    current_ += 2;
    ASSIGN_OR_RETURN(NodePtr nested, ParseIf(elif_offset));
    node->list2.push_back(std::move(nested));
  } else if (IsStatement({"else"})) {
    current_ += 2;
    RETURN_IF_ERROR(Expect(TokenType::kCloseStatement, "'%}'"));
    RETURN_IF_ERROR(ParseBodyUntil({"endif"}, &node->list2));
  }
  return node;
}

base::Result<NodePtr> Parser::ParseMacro(uint32_t offset) {
  NodePtr macro = Make(NodeKind::kMacro, offset);
  ASSIGN_OR_RETURN(NodePtr name, ParsePrimary());
  if (name->kind != NodeKind::kIdentifier) return Error("expected a macro name");
  macro->text = name->text;
  RETURN_IF_ERROR(ParseArgs(ArgsMode::kParameters, &macro->list));
  RETURN_IF_ERROR(Expect(TokenType::kCloseStatement, "'%}'"));
  RETURN_IF_ERROR(ParseBodyUntil({"endmacro"}, &macro->list2));
  return macro;
}

base::Result<NodePtr> Parser::ParseFor(uint32_t offset) {
  NodePtr loop = Make(NodeKind::kFor, offset);
  ASSIGN_OR_RETURN(loop->a, ParseExpressionSequence(true));
  if (loop->a->kind != NodeKind::kIdentifier && loop->a->kind != NodeKind::kTuple) {
    return Error("expected a name or tuple of names for the loop variable");
  }
  if (!IsIdentifier({"in"})) return Error("expected 'in' after the loop variable");
  ++current_;
  ASSIGN_OR_RETURN(loop->b, ParseExpression());
  RETURN_IF_ERROR(Expect(TokenType::kCloseStatement, "'%}'"));
  RETURN_IF_ERROR(ParseBodyUntil({"endfor", "else"}, &loop->list));
  if (IsStatement({"else"})) {
    current_ += 2;
    RETURN_IF_ERROR(Expect(TokenType::kCloseStatement, "'%}'"));
    RETURN_IF_ERROR(ParseBodyUntil({"endfor"}, &loop->list2));
  }
  return loop;
}

base::Result<NodePtr> Parser::ParseExpressionSequence(bool primary) {
  uint32_t offset = Offset();
  ASSIGN_OR_RETURN(NodePtr first, primary ? ParsePrimary() : ParseExpression());
  if (!Is(TokenType::kComma)) return first;
  NodePtr tuple = Make(NodeKind::kTuple, offset);
  tuple->list.push_back(std::move(first));
  while (true) {
    ++current_;  // comma
    ASSIGN_OR_RETURN(NodePtr next, primary ? ParsePrimary() : ParseExpression());
    tuple->list.push_back(std::move(next));
    if (!Is(TokenType::kComma)) break;
  }
  return tuple;
}

base::Result<NodePtr> Parser::ParseExpression() {
  DepthGuard guard(&depth_);
  if (guard.exceeded()) return Error("expression nested too deeply");
  return ParseIfExpression();
}

base::Result<NodePtr> Parser::ParseIfExpression() {
  DepthGuard guard(&depth_);
  if (guard.exceeded()) return Error("expression nested too deeply");
  ASSIGN_OR_RETURN(NodePtr value, ParseLogical(0));
  if (!IsIdentifier({"if"})) return value;
  uint32_t offset = Offset();
  ++current_;
  ASSIGN_OR_RETURN(NodePtr test, ParseLogical(0));
  if (IsIdentifier({"else"})) {
    ++current_;
    NodePtr ternary = Make(NodeKind::kTernary, offset);
    ternary->a = std::move(test);
    ternary->b = std::move(value);
    ASSIGN_OR_RETURN(ternary->c, ParseIfExpression());
    return ternary;
  }
  NodePtr select = Make(NodeKind::kSelect, offset);
  select->a = std::move(value);
  select->b = std::move(test);
  return select;
}

// level 0: `or`, level 1: `and`.
base::Result<NodePtr> Parser::ParseLogical(int level) {
  const std::string_view op = level == 0 ? "or" : "and";
  ASSIGN_OR_RETURN(NodePtr left, level == 0 ? ParseLogical(1) : ParseNot());
  while (IsIdentifier({op})) {
    NodePtr node = Make(NodeKind::kBinary, Offset());
    ++current_;
    node->text = std::string(op);
    node->a = std::move(left);
    ASSIGN_OR_RETURN(node->b, level == 0 ? ParseLogical(1) : ParseNot());
    left = std::move(node);
  }
  return left;
}

base::Result<NodePtr> Parser::ParseNot() {
  DepthGuard guard(&depth_);
  if (guard.exceeded()) return Error("expression nested too deeply");
  NodePtr result;
  // As in the reference, a later `not` at this level replaces an earlier one.
  while (IsIdentifier({"not"})) {
    NodePtr node = Make(NodeKind::kUnary, Offset());
    ++current_;
    node->text = "not";
    ASSIGN_OR_RETURN(node->a, ParseNot());
    result = std::move(node);
  }
  if (result) return result;
  return ParseComparison();
}

base::Result<NodePtr> Parser::ParseComparison() {
  ASSIGN_OR_RETURN(NodePtr left, ParseArithmetic(TokenType::kAdditive));
  while (true) {
    std::string op;
    uint32_t offset = Offset();
    if (IsIdentifier({"not", "in"})) {
      op = "not in";
      current_ += 2;
    } else if (IsIdentifier({"in"}) || Is(TokenType::kComparison)) {
      op = Peek()->value;
      ++current_;
    } else {
      break;
    }
    NodePtr node = Make(NodeKind::kBinary, offset);
    node->text = std::move(op);
    node->a = std::move(left);
    ASSIGN_OR_RETURN(node->b, ParseArithmetic(TokenType::kAdditive));
    left = std::move(node);
  }
  return left;
}

// + - ~ over * / // % over ** over the rest; all left-associative.
base::Result<NodePtr> Parser::ParseArithmetic(TokenType type) {
  auto next = [&]() -> base::Result<NodePtr> {
    if (type == TokenType::kAdditive) return ParseArithmetic(TokenType::kMultiplicative);
    if (type == TokenType::kMultiplicative) return ParseArithmetic(TokenType::kExponent);
    return ParseTest();
  };
  ASSIGN_OR_RETURN(NodePtr left, next());
  while (Is(type)) {
    NodePtr node = Make(NodeKind::kBinary, Offset());
    node->text = Peek()->value;
    ++current_;
    node->a = std::move(left);
    ASSIGN_OR_RETURN(node->b, next());
    left = std::move(node);
  }
  return left;
}

base::Result<NodePtr> Parser::ParseTest() {
  ASSIGN_OR_RETURN(NodePtr operand, ParseFilter());
  while (IsIdentifier({"is"})) {
    NodePtr node = Make(NodeKind::kTest, Offset());
    ++current_;
    if (IsIdentifier({"not"})) {
      node->flag = true;
      ++current_;
    }
    ASSIGN_OR_RETURN(NodePtr test, ParsePrimary());
    if (test->kind != NodeKind::kIdentifier) return Error("expected a test name after 'is'");
    node->text = test->text;
    node->a = std::move(operand);
    operand = std::move(node);
  }
  return operand;
}

base::Result<NodePtr> Parser::ParseFilter() {
  ASSIGN_OR_RETURN(NodePtr operand, ParseUnarySign());
  while (Is(TokenType::kPipe)) {
    NodePtr node = Make(NodeKind::kFilter, Offset());
    ++current_;
    ASSIGN_OR_RETURN(NodePtr filter, ParsePrimary());
    if (filter->kind != NodeKind::kIdentifier) return Error("expected a filter name after '|'");
    if (Is(TokenType::kOpenParen)) {
      ASSIGN_OR_RETURN(filter, ParseCallExpression(std::move(filter)));
    }
    node->a = std::move(operand);
    node->b = std::move(filter);
    operand = std::move(node);
  }
  return operand;
}

base::Result<NodePtr> Parser::ParseUnarySign() {
  DepthGuard guard(&depth_);
  if (guard.exceeded()) return Error("expression nested too deeply");
  const Token* t = Peek();
  if (t != nullptr && (t->type == TokenType::kUnary || t->type == TokenType::kAdditive) &&
      (t->value == "-" || t->value == "+")) {
    NodePtr node = Make(NodeKind::kUnary, t->offset);
    node->text = t->value;
    ++current_;
    ASSIGN_OR_RETURN(node->a, ParseUnarySign());
    return node;
  }
  return ParseCallMember();
}

base::Result<NodePtr> Parser::ParseCallMember() {
  ASSIGN_OR_RETURN(NodePtr primary, ParsePrimary());
  ASSIGN_OR_RETURN(NodePtr member, ParseMember(std::move(primary)));
  if (Is(TokenType::kOpenParen)) return ParseCallExpression(std::move(member));
  return member;
}

base::Result<NodePtr> Parser::ParseCallExpression(NodePtr callee) {
  DepthGuard guard(&depth_);
  if (guard.exceeded()) return Error("expression nested too deeply");
  NodePtr call = Make(NodeKind::kCall, callee->offset);
  call->a = std::move(callee);
  RETURN_IF_ERROR(ParseArgs(ArgsMode::kCall, &call->list));
  ASSIGN_OR_RETURN(NodePtr expr, ParseMember(std::move(call)));
  if (Is(TokenType::kOpenParen)) return ParseCallExpression(std::move(expr));
  return expr;
}

base::Status Parser::ParseArgs(ArgsMode mode, NodeList* args) {
  RETURN_IF_ERROR(Expect(TokenType::kOpenParen, "'('"));
  std::set<std::string> parameter_names;
  bool saw_keyword = false, saw_spread = false;
  while (!Is(TokenType::kCloseParen)) {
    const bool keyword_spread = Is(TokenType::kExponent);
    const bool spread = Is(TokenType::kMultiplicative) && Peek()->value == "*";
    if (mode == ArgsMode::kParameters && (keyword_spread || spread)) {
      return Error("argument unpacking is not allowed in parameter declarations");
    }
    const uint32_t offset = Offset();
    if (keyword_spread) {
      ++current_;
      NodePtr node = Make(NodeKind::kKeywordSpread, offset);
      ASSIGN_OR_RETURN(node->a, ParseExpression());
      args->push_back(std::move(node));
      if (Is(TokenType::kComma)) ++current_;
      if (!Is(TokenType::kCloseParen)) return Error("'**' must apply to the final argument");
      break;
    }
    NodePtr arg;
    if (spread) {
      if (saw_spread) return Error("only one '*' argument unpacking is allowed");
      saw_spread = true;
      ++current_;
      arg = Make(NodeKind::kSpread, offset);
      ASSIGN_OR_RETURN(arg->a, ParseExpression());
    } else {
      ASSIGN_OR_RETURN(arg, ParseExpression());
      if (Is(TokenType::kEquals)) {
        ++current_;
        if (arg->kind != NodeKind::kIdentifier) {
          return Error(mode == ArgsMode::kParameters ? "expected a parameter name" : "expected a keyword argument name");
        }
        NodePtr keyword = Make(NodeKind::kKeywordArg, arg->offset);
        keyword->text = arg->text;
        ASSIGN_OR_RETURN(keyword->a, ParseExpression());
        arg = std::move(keyword);
      }
      if (mode == ArgsMode::kParameters) {
        if (arg->kind != NodeKind::kIdentifier && arg->kind != NodeKind::kKeywordArg) {
          return Error("expected a parameter name");
        }
        if (!parameter_names.insert(arg->text).second) return Error("duplicate parameter name: " + arg->text);
      }
      if (arg->kind == NodeKind::kKeywordArg) {
        saw_keyword = true;
      } else if (saw_keyword) {
        return Error(mode == ArgsMode::kCall ? "positional argument after keyword arguments"
                                             : "parameter without default after one with a default");
      } else if (saw_spread) {
        return Error("positional argument after '*' unpacking");
      }
    }
    args->push_back(std::move(arg));
    if (Is(TokenType::kComma)) ++current_;
  }
  return Expect(TokenType::kCloseParen, "')'");
}

// Inside `[...]`: an index, or a slice with up to three parts.
base::Result<NodePtr> Parser::ParseSubscript() {
  uint32_t offset = Offset();
  std::vector<NodePtr> parts;
  bool is_slice = false;
  while (!Is(TokenType::kCloseSquare)) {
    if (Is(TokenType::kColon)) {
      parts.push_back(nullptr);
      ++current_;
      is_slice = true;
    } else {
      ASSIGN_OR_RETURN(NodePtr part, ParseExpression());
      parts.push_back(std::move(part));
      if (Is(TokenType::kColon)) {
        ++current_;
        is_slice = true;
      }
    }
  }
  if (parts.empty()) return Error("expected an index or slice inside '[]'");
  if (!is_slice) return std::move(parts[0]);
  if (parts.size() > 3) return Error("a slice takes at most 3 parts");
  NodePtr slice = Make(NodeKind::kSlice, offset);
  slice->a = std::move(parts[0]);
  if (parts.size() > 1) slice->b = std::move(parts[1]);
  if (parts.size() > 2) slice->c = std::move(parts[2]);
  return slice;
}

base::Result<NodePtr> Parser::ParseMember(NodePtr object) {
  while (Is(TokenType::kDot) || Is(TokenType::kOpenSquare)) {
    const bool computed = Is(TokenType::kOpenSquare);
    NodePtr member = Make(NodeKind::kMember, Offset());
    ++current_;
    if (computed) {
      ASSIGN_OR_RETURN(member->b, ParseSubscript());
      RETURN_IF_ERROR(Expect(TokenType::kCloseSquare, "']'"));
    } else {
      ASSIGN_OR_RETURN(member->b, ParsePrimary());
      if (member->b->kind != NodeKind::kIdentifier && member->b->kind != NodeKind::kInteger) {
        return Error("expected a name or integer after '.'");
      }
    }
    member->flag = computed;
    member->a = std::move(object);
    object = std::move(member);
  }
  return object;
}

base::Result<NodePtr> Parser::ParsePrimary() {
  const Token* t = Peek();
  if (t == nullptr) return Error("unexpected end of template");
  ++current_;
  switch (t->type) {
    case TokenType::kNumber: {
      const bool is_float = t->value.find('.') != std::string::npos;
      NodePtr node = Make(is_float ? NodeKind::kFloat : NodeKind::kInteger, t->offset);
      node->number = JsStringToNumber(t->value);
      return node;
    }
    case TokenType::kString: {
      NodePtr node = Make(NodeKind::kString, t->offset);
      node->text = t->value;
      while (Is(TokenType::kString)) node->text += tokens_[current_++].value;
      return node;
    }
    case TokenType::kIdentifier: {
      NodePtr node = Make(NodeKind::kIdentifier, t->offset);
      node->text = t->value;
      return node;
    }
    case TokenType::kOpenParen: {
      ASSIGN_OR_RETURN(NodePtr expr, ParseExpressionSequence(false));
      RETURN_IF_ERROR(Expect(TokenType::kCloseParen, "')'"));
      return expr;
    }
    case TokenType::kOpenSquare: {
      NodePtr array = Make(NodeKind::kArray, t->offset);
      while (!Is(TokenType::kCloseSquare)) {
        ASSIGN_OR_RETURN(NodePtr item, ParseExpression());
        array->list.push_back(std::move(item));
        if (Is(TokenType::kComma)) ++current_;
      }
      ++current_;
      return array;
    }
    case TokenType::kOpenCurly: {
      NodePtr object = Make(NodeKind::kObject, t->offset);
      while (!Is(TokenType::kCloseCurly)) {
        ASSIGN_OR_RETURN(NodePtr key, ParseExpression());
        RETURN_IF_ERROR(Expect(TokenType::kColon, "':' between key and value"));
        ASSIGN_OR_RETURN(NodePtr value, ParseExpression());
        object->list.push_back(std::move(key));
        object->list2.push_back(std::move(value));
        if (Is(TokenType::kComma)) ++current_;
      }
      ++current_;
      return object;
    }
    default:
      --current_;
      return Error("unexpected '" + t->value + "'");
  }
}

}  // namespace

base::Result<Program> Parse(std::string_view source, const std::vector<Token>& tokens) {
  Parser parser(source, tokens);
  return parser.Run();
}

}  // namespace engine::jinja
