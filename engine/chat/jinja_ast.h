// Syntax tree of a parsed template.
//
// One plain node type; which fields a kind uses is listed below. The tree
// mirrors @huggingface/jinja's AST so evaluation can follow it rule by rule.
//
//   kind          text          number  flag       a          b          c         list       list2
//   kIf                                            test                            body       else body
//   kFor                                           target     iterable             body       else body
//   kSet                                           target     value?               block body
//   kMacro        name                                                             params     body
//   kCallBlock                                     call                            params     body
//   kFilterBlock                                   filter                          body
//   kInteger/kFloat             value
//   kString       value (also template text)
//   kArray/kTuple                                                                  items
//   kObject                                                                        keys       values
//   kIdentifier   name
//   kMember                             computed   object     property
//   kCall                                          callee                          args
//   kUnary        operator                         operand
//   kBinary       operator                         left       right
//   kFilter                                        operand    filter (kIdentifier or kCall)
//   kTest         test name             negated    operand
//   kSelect                                        value      condition            (`x if c`, no else)
//   kTernary                                       condition  if true    if false
//   kSlice                                         start?     stop?      step?
//   kKeywordArg   key                              value
//   kSpread / kKeywordSpread                       operand                         (`*x`, `**x`)
//
// params are kIdentifier or kKeywordArg (a default value) nodes.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace engine::jinja {

enum class NodeKind : uint8_t {
  // Statements.
  kIf,
  kFor,
  kSet,
  kMacro,
  kCallBlock,
  kFilterBlock,
  kBreak,
  kContinue,
  kComment,
  // Expressions.
  kInteger,
  kFloat,
  kString,
  kArray,
  kTuple,
  kObject,
  kIdentifier,
  kMember,
  kCall,
  kUnary,
  kBinary,
  kFilter,
  kTest,
  kSelect,
  kTernary,
  kSlice,
  kKeywordArg,
  kSpread,
  kKeywordSpread,
};

struct Node;
using NodePtr = std::unique_ptr<Node>;
using NodeList = std::vector<NodePtr>;

struct Node {
  Node(NodeKind k, uint32_t off) : kind(k), offset(off) {}

  NodeKind kind;
  uint32_t offset;  // byte offset in the original source, for errors
  std::string text;
  double number = 0;
  bool flag = false;
  NodePtr a, b, c;
  NodeList list, list2;
};

struct Program {
  NodeList body;
};

}  // namespace engine::jinja
