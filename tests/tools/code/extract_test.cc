// Definitions and references per language, nesting, signatures, and files
// with syntax errors.
#include <catch2/catch.hpp>

#include "tools/code/definition_tree.h"
#include "tools/code/extract.h"

using tools::Language;
using tools::ReferenceKind;
using tools::SymbolKind;

namespace {

tools::FileSymbols Parse(Language language, std::string_view code) {
  static tools::SymbolQueries queries;
  tools::SymbolParser parser(queries);
  auto parsed = parser.Parse(language, "test", code, 7);
  INFO(parsed.status().ToString());
  REQUIRE(parsed.ok());
  return std::move(*parsed);
}

// The only definition named `name`; fails when there is none or several.
const tools::Definition& Def(const tools::FileSymbols& file, const std::string& name, SymbolKind kind) {
  const tools::Definition* found = nullptr;
  for (const auto& d : file.definitions) {
    if (d.name != name || d.kind != kind) continue;
    REQUIRE(found == nullptr);
    found = &d;
  }
  INFO("no " << tools::SymbolKindName(kind) << " " << name);
  REQUIRE(found != nullptr);
  return *found;
}

size_t CountDefs(const tools::FileSymbols& file, const std::string& name) {
  size_t n = 0;
  for (const auto& d : file.definitions) n += d.name == name ? 1 : 0;
  return n;
}

bool HasRef(const tools::FileSymbols& file, const std::string& name, ReferenceKind kind, uint32_t line) {
  for (const auto& r : file.references) {
    if (r.name == name && r.kind == kind && r.line == line) return true;
  }
  return false;
}

const std::string& ParentName(const tools::FileSymbols& file, const tools::Definition& d) {
  REQUIRE(d.parent >= 0);
  return file.definitions[static_cast<size_t>(d.parent)].name;
}

}  // namespace

TEST_CASE("extract: every language's query compiles against its grammar", "[tools][code]") {
  tools::SymbolQueries queries;
  for (int i = 0; i < tools::kLanguageCount; ++i) {
    const auto language = static_cast<Language>(i);
    INFO(tools::LanguageName(language));
    auto compiled = queries.Get(language);
    CHECK(compiled.ok());
    if (!compiled.ok()) WARN(compiled.status().message());
  }
}

TEST_CASE("extract: C functions, prototypes, structs, typedefs, enums, macros and references", "[tools][code]") {
  const auto f = Parse(Language::kC,
                       "#define SQUARE(x) ((x) * (x))\n"   // 1
                       "struct node { int v; };\n"         // 2
                       "typedef unsigned long size_type;\n"  // 3
                       "enum color { RED, GREEN };\n"      // 4
                       "int count(const struct node *n);\n"  // 5
                       "static char **\n"                  // 6
                       "split(const char *s) {\n"          // 7
                       "  return tokenize(s, SQUARE(2));\n"  // 8
                       "}\n");                             // 9
  CHECK(Def(f, "SQUARE", SymbolKind::kMacro).line == 1);
  CHECK(Def(f, "node", SymbolKind::kStruct).line == 2);
  CHECK(Def(f, "size_type", SymbolKind::kType).line == 3);
  CHECK(Def(f, "color", SymbolKind::kEnum).line == 4);
  CHECK(Def(f, "count", SymbolKind::kFunction).line == 5);
  const auto& split = Def(f, "split", SymbolKind::kFunction);
  CHECK(split.line == 6);
  CHECK(split.end_line == 9);
  CHECK(split.signature == "static char ** split(const char *s) {");  // to the name's line, on one line
  CHECK(HasRef(f, "tokenize", ReferenceKind::kCall, 8));
  CHECK(HasRef(f, "SQUARE", ReferenceKind::kCall, 8));
  CHECK(HasRef(f, "node", ReferenceKind::kType, 5));   // `const struct node *n` uses the struct
  CHECK(!HasRef(f, "node", ReferenceKind::kType, 2));  // its definition does not
  CHECK(f.line_count == 9);
  CHECK(f.content_hash == 7);
  CHECK(!f.has_parse_errors);
}

TEST_CASE("extract: C++ classes nest their methods; out-of-line members are methods", "[tools][code]") {
  const auto f = Parse(Language::kCpp,
                       "namespace app {\n"                           // 1
                       "template <typename T>\n"                     // 2
                       "class Widget : public Base {\n"              // 3
                       " public:\n"                                  // 4
                       "  Widget(int x);\n"                          // 5
                       "  void Draw(const Canvas& c) const;\n"       // 6
                       "  int& Ref() { return ref_; }\n"             // 7
                       "};\n"                                        // 8
                       "using Handle = Widget<int>*;\n"              // 9
                       "void Widget::Draw(const Canvas& c) const {\n"  // 10
                       "  util::Paint(c); canvas.Flush(); Helper<int>(1);\n"  // 11
                       "}\n"                                         // 12
                       "}  // namespace app\n");                     // 13
  const auto& ns = Def(f, "app", SymbolKind::kModule);
  CHECK(ns.line == 1);
  CHECK(ns.end_line == 13);
  const auto& widget = Def(f, "Widget", SymbolKind::kClass);
  CHECK(widget.line == 3);
  CHECK(widget.end_line == 8);
  CHECK(widget.depth == 1);
  CHECK(widget.signature == "class Widget : public Base {");
  CHECK(ParentName(f, widget) == "app");
  const auto& ctor = Def(f, "Widget", SymbolKind::kMethod);
  CHECK(ctor.line == 5);
  CHECK(ctor.depth == 2);
  CHECK(ParentName(f, ctor) == "Widget");
  CHECK(Def(f, "Ref", SymbolKind::kMethod).line == 7);
  CHECK(CountDefs(f, "Draw") == 2);  // the declaration and the out-of-line definition
  CHECK(Def(f, "Handle", SymbolKind::kType).line == 9);
  CHECK(HasRef(f, "Base", ReferenceKind::kType, 3));
  CHECK(HasRef(f, "Canvas", ReferenceKind::kType, 6));
  CHECK(HasRef(f, "Paint", ReferenceKind::kCall, 11));  // util::Paint -> Paint
  CHECK(HasRef(f, "Flush", ReferenceKind::kMemberCall, 11));
  CHECK(HasRef(f, "Helper", ReferenceKind::kCall, 11));
  CHECK(HasRef(f, "Widget", ReferenceKind::kType, 9));
  CHECK(!HasRef(f, "Widget", ReferenceKind::kType, 3));  // the class's own name is not a use of it
  CHECK(HasRef(f, "Widget", ReferenceKind::kType, 10));  // `Widget::` in the out-of-line definition is

  // A local variable that C++ parses as a function declaration is not a
  // definition; a nested Python function is.
  const auto vexing = Parse(Language::kCpp,
                            "void Fill(int n) {\n  std::vector<int> values(n);\n  int helper(int);\n"
                            "  using Local = int;\n  struct Tmp { int x; };\n}\n");
  REQUIRE(vexing.definitions.size() == 1);
  CHECK(vexing.definitions[0].name == "Fill");
}

TEST_CASE("extract: Python classes, methods, nested functions, decorators and bases", "[tools][code]") {
  const auto f = Parse(Language::kPython,
                       "class Animal(Base, mixins.Named):\n"  // 1
                       "    @property\n"                      // 2
                       "    def name(self) -> Label:\n"       // 3
                       "        def inner():\n"               // 4
                       "            return fetch()\n"         // 5
                       "        return inner()\n"             // 6
                       "\n"                                   // 7
                       "def top(a):\n"                        // 8
                       "    return Animal().name\n");         // 9
  const auto& animal = Def(f, "Animal", SymbolKind::kClass);
  CHECK(animal.line == 1);
  CHECK(animal.end_line == 6);
  const auto& name = Def(f, "name", SymbolKind::kMethod);
  CHECK(name.line == 3);
  CHECK(name.signature == "def name(self) -> Label:");
  const auto& inner = Def(f, "inner", SymbolKind::kFunction);  // a function in a method stays a function
  CHECK(inner.depth == 2);
  CHECK(ParentName(f, inner) == "name");
  CHECK(Def(f, "top", SymbolKind::kFunction).depth == 0);
  CHECK(HasRef(f, "Base", ReferenceKind::kType, 1));
  CHECK(HasRef(f, "Named", ReferenceKind::kType, 1));
  CHECK(HasRef(f, "property", ReferenceKind::kCall, 2));
  CHECK(HasRef(f, "Label", ReferenceKind::kType, 3));
  CHECK(HasRef(f, "fetch", ReferenceKind::kCall, 5));
  CHECK(HasRef(f, "Animal", ReferenceKind::kCall, 9));
}

TEST_CASE("extract: JavaScript functions, classes, arrow functions and JSX", "[tools][code]") {
  const auto f = Parse(Language::kJavaScript,
                       "export class Dog extends Animal {\n"       // 1
                       "  bark() { this.say('woof'); }\n"          // 2
                       "}\n"                                       // 3
                       "function walk(dog) { return go(dog); }\n"  // 4
                       "const double = (x) => x * 2;\n"            // 5
                       "module.exports.feed = function () { new Dog(); };\n"  // 6
                       "const view = <Kennel size={2} />;\n");     // 7
  const auto& dog = Def(f, "Dog", SymbolKind::kClass);
  CHECK(dog.signature == "export class Dog extends Animal {");  // the export keyword comes along
  CHECK(Def(f, "bark", SymbolKind::kMethod).line == 2);
  CHECK(ParentName(f, Def(f, "bark", SymbolKind::kMethod)) == "Dog");
  CHECK(Def(f, "walk", SymbolKind::kFunction).line == 4);
  CHECK(Def(f, "double", SymbolKind::kFunction).signature == "const double = (x) => x * 2;");
  CHECK(Def(f, "feed", SymbolKind::kFunction).line == 6);
  CHECK(HasRef(f, "Animal", ReferenceKind::kType, 1));
  CHECK(HasRef(f, "say", ReferenceKind::kMemberCall, 2));
  CHECK(HasRef(f, "go", ReferenceKind::kCall, 4));
  CHECK(HasRef(f, "Dog", ReferenceKind::kType, 6));
  CHECK(HasRef(f, "Kennel", ReferenceKind::kCall, 7));
}

TEST_CASE("extract: TypeScript interfaces, aliases, enums, abstract classes and type uses", "[tools][code]") {
  const std::string code =
      "interface Shape { area(): number; }\n"                                  // 1
      "type Id = string;\n"                                                    // 2
      "enum Kind { A, B }\n"                                                   // 3
      "abstract class Base implements Shape { abstract area(): number; }\n"   // 4
      "export class Circle extends Base {\n"                                   // 5
      "  area(): number { return compute(this.r); }\n"                         // 6
      "}\n"                                                                    // 7
      "namespace Geo { export function make(id: Id): Shape { return new Circle(); } }\n";  // 8
  for (Language language : {Language::kTypeScript, Language::kTsx}) {
    INFO(tools::LanguageName(language));
    const auto f = Parse(language, code);
    CHECK(Def(f, "Shape", SymbolKind::kInterface).line == 1);
    CHECK(Def(f, "Id", SymbolKind::kType).line == 2);
    CHECK(Def(f, "Kind", SymbolKind::kEnum).line == 3);
    CHECK(Def(f, "Base", SymbolKind::kClass).line == 4);
    CHECK(Def(f, "Circle", SymbolKind::kClass).line == 5);
    CHECK(CountDefs(f, "area") == 3);  // interface, abstract and concrete methods
    CHECK(Def(f, "Geo", SymbolKind::kModule).line == 8);
    CHECK(ParentName(f, Def(f, "make", SymbolKind::kFunction)) == "Geo");
    CHECK(HasRef(f, "Shape", ReferenceKind::kType, 4));
    CHECK(HasRef(f, "Base", ReferenceKind::kType, 5));
    CHECK(HasRef(f, "compute", ReferenceKind::kCall, 6));
    CHECK(HasRef(f, "Id", ReferenceKind::kType, 8));
    CHECK(HasRef(f, "Circle", ReferenceKind::kType, 8));
  }
  const auto tsx = Parse(Language::kTsx, "const v = <Circle r={1} />;\n");
  CHECK(HasRef(tsx, "Circle", ReferenceKind::kCall, 1));
}

TEST_CASE("extract: Rust items, traits, impl blocks and macro calls", "[tools][code]") {
  const auto f = Parse(Language::kRust,
                       "pub struct Server { port: u16 }\n"                          // 1
                       "enum State { Up, Down }\n"                                  // 2
                       "pub trait Handler { fn handle(&self) -> Reply; }\n"         // 3
                       "impl Handler for Server {\n"                                // 4
                       "    fn handle(&self) -> Reply { process(); Reply::new() }\n"  // 5
                       "}\n"                                                        // 6
                       "mod util;\n"                                                // 7
                       "macro_rules! shout { () => {} }\n"                          // 8
                       "type Res = Result<u8, Error>;\n"                            // 9
                       "fn main() { let s = Server { port: 1 }; shout!(); s.start(); }\n");  // 10
  CHECK(Def(f, "Server", SymbolKind::kStruct).line == 1);
  CHECK(Def(f, "State", SymbolKind::kEnum).line == 2);
  CHECK(Def(f, "Handler", SymbolKind::kInterface).line == 3);
  const auto& impl = Def(f, "Server", SymbolKind::kImpl);
  CHECK(impl.line == 4);
  CHECK(impl.end_line == 6);
  CHECK(impl.signature == "impl Handler for Server {");
  CHECK(CountDefs(f, "handle") == 2);
  for (const auto& d : f.definitions) {
    if (d.name == "handle") CHECK(d.kind == SymbolKind::kMethod);  // in the trait and in the impl
  }
  CHECK(Def(f, "util", SymbolKind::kModule).line == 7);
  CHECK(Def(f, "shout", SymbolKind::kMacro).line == 8);
  CHECK(Def(f, "Res", SymbolKind::kType).line == 9);
  CHECK(Def(f, "main", SymbolKind::kFunction).line == 10);
  CHECK(HasRef(f, "Handler", ReferenceKind::kImplementation, 4));
  CHECK(HasRef(f, "Server", ReferenceKind::kType, 4));  // an impl block uses its type
  CHECK(HasRef(f, "Reply", ReferenceKind::kType, 5));   // `Reply::new()`
  CHECK(HasRef(f, "new", ReferenceKind::kMemberCall, 5));
  CHECK(HasRef(f, "process", ReferenceKind::kCall, 5));
  CHECK(HasRef(f, "shout", ReferenceKind::kCall, 10));
  CHECK(HasRef(f, "start", ReferenceKind::kMemberCall, 10));
  CHECK(!HasRef(f, "Server", ReferenceKind::kType, 1));
}

TEST_CASE("extract: Go types, functions and methods", "[tools][code]") {
  const auto f = Parse(Language::kGo,
                       "package main\n"                                        // 1
                       "type Server struct { Port int }\n"                     // 2
                       "type Handler interface { Handle() Reply }\n"           // 3
                       "type ID int\n"                                         // 4
                       "func (s *Server) Start() error { return listen(s.Port) }\n"  // 5
                       "func main() { s := NewServer(); s.Start() }\n");       // 6
  const auto& server = Def(f, "Server", SymbolKind::kStruct);
  CHECK(server.signature == "type Server struct { Port int }");
  CHECK(CountDefs(f, "Server") == 1);  // the struct pattern wins over the plain type pattern
  CHECK(Def(f, "Handler", SymbolKind::kInterface).line == 3);
  CHECK(Def(f, "ID", SymbolKind::kType).line == 4);
  CHECK(Def(f, "Start", SymbolKind::kMethod).signature == "func (s *Server) Start() error { return listen(s.Port) }");
  CHECK(Def(f, "main", SymbolKind::kFunction).line == 6);
  CHECK(HasRef(f, "Server", ReferenceKind::kType, 5));
  CHECK(HasRef(f, "Reply", ReferenceKind::kType, 3));
  CHECK(HasRef(f, "listen", ReferenceKind::kCall, 5));
  CHECK(HasRef(f, "NewServer", ReferenceKind::kCall, 6));
  CHECK(HasRef(f, "Start", ReferenceKind::kMemberCall, 6));
}

TEST_CASE("extract: Bash functions and commands; JSON top-level keys", "[tools][code]") {
  const auto sh = Parse(Language::kBash,
                        "#!/bin/sh\n"
                        "build() { make -j2; }\n"
                        "function deploy { build; rsync -a . host:; }\n"
                        "deploy\n");
  CHECK(Def(sh, "build", SymbolKind::kFunction).line == 2);
  CHECK(Def(sh, "deploy", SymbolKind::kFunction).line == 3);
  CHECK(HasRef(sh, "make", ReferenceKind::kCall, 2));
  CHECK(HasRef(sh, "build", ReferenceKind::kCall, 3));
  CHECK(HasRef(sh, "deploy", ReferenceKind::kCall, 4));

  const auto json = Parse(Language::kJson, "{\n  \"name\": \"x\",\n  \"scripts\": {\"build\": \"tsc\"}\n}\n");
  REQUIRE(json.definitions.size() == 2);  // nested keys are not definitions
  CHECK(Def(json, "name", SymbolKind::kKey).signature == "\"name\": \"x\"");
  CHECK(Def(json, "scripts", SymbolKind::kKey).line == 3);
  CHECK(json.references.empty());
}

TEST_CASE("extract: a file with syntax errors keeps the symbols of its valid parts", "[tools][code]") {
  const auto f = Parse(Language::kPython,
                       "def before_error(x):\n"
                       "    return x + 1\n"
                       "\n"
                       "def broken(x):\n"
                       "    return x +* ) 2\n"
                       "\n"
                       "class AfterError:\n"
                       "    def still_found(self):\n"
                       "        return before_error(2)\n");
  CHECK(f.has_parse_errors);
  CHECK(Def(f, "before_error", SymbolKind::kFunction).line == 1);
  CHECK(Def(f, "AfterError", SymbolKind::kClass).line == 7);
  CHECK(Def(f, "still_found", SymbolKind::kMethod).line == 8);
  CHECK(HasRef(f, "before_error", ReferenceKind::kCall, 9));

  // Whatever the damage, parsing garbage never fails.
  const auto garbage = Parse(Language::kCpp, "}}}{{{ class ;; template <<<< int ))) \xff\xfe\n");
  CHECK(garbage.has_parse_errors);
}

TEST_CASE("extract: signatures are one clipped line; names lose scopes and template arguments", "[tools][code]") {
  const auto f = Parse(Language::kC,
                       "typedef struct {\n"
                       "  int a;\n"
                       "  int b;\n"
                       "  int c;\n"
                       "} Triple;\n");
  CHECK(Def(f, "Triple", SymbolKind::kType).signature == "typedef struct {");  // the name is far below

  std::string params;
  for (int i = 0; i < 60; ++i) params += "int parameter" + std::to_string(i) + ", ";
  const auto big = Parse(Language::kC, "void wide(" + params + "int last) {}\n");
  const std::string& sig = Def(big, "wide", SymbolKind::kFunction).signature;
  CHECK(sig.size() <= 200);
  CHECK(sig.substr(sig.size() - 4) == " ...");

  CHECK(tools::NormalizeName("ns::Foo::bar") == "bar");
  CHECK(tools::NormalizeName("Foo<a::b>::~Foo") == "~Foo");
  CHECK(tools::NormalizeName("Vec<T>") == "Vec");
  CHECK(tools::NormalizeName("operator<<") == "operator<<");
  CHECK(tools::NormalizeName("  spaced  ") == "spaced");
  CHECK(tools::NormalizeName("::").empty());
}

TEST_CASE("extract: truncated and corrupted sources parse without failing", "[tools][code]") {
  const std::vector<std::pair<Language, std::string>> samples = {
      {Language::kC, "int f(int x) { return g(x); }\nstruct s { int a; };\n"},
      {Language::kCpp, "template <class T> class A : B<T> { void f() { g<T>(1); } };\n"},
      {Language::kPython, "class A(B):\n    def f(self):\n        return g(1)\n"},
      {Language::kJavaScript, "class A extends B { f() { return <C x={`${y}`} />; } }\n"},
      {Language::kTypeScript, "interface I<T> { f(x: T): U; }\nconst a = (b: I<number>) => b.f(1);\n"},
      {Language::kTsx, "export function F(p: P) { return <div>{p.x}</div>; }\n"},
      {Language::kRust, "impl<T: Tr> S<T> { fn f(&self) -> R { g!(x); self.h() } }\n"},
      {Language::kGo, "func (s *S) F(x int) error { return g(`raw`, x) }\n"},
      {Language::kBash, "f() { cat <<EOF\n$(g)\nEOF\n}\ncase $x in a) f;; esac\n"},
      {Language::kJson, "{\"a\": [1, {\"b\": \"\\u00e9\"}], \"c\": null}\n"},
  };
  uint32_t seed = 12345;
  auto next = [&seed] { return seed = seed * 1103515245 + 12345; };
  for (const auto& [language, code] : samples) {
    INFO(tools::LanguageName(language));
    for (size_t cut = 0; cut <= code.size(); ++cut) Parse(language, code.substr(0, cut));
    for (int round = 0; round < 50; ++round) {
      std::string mutated = code;
      for (int k = 0; k < 4; ++k) mutated[next() % mutated.size()] = static_cast<char>(next() >> 16);
      Parse(language, mutated);
    }
  }
}
