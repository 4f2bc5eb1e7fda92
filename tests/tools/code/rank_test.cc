// The reference graph and the personalized PageRank over it.
#include <catch2/catch.hpp>
#include <cmath>

#include "tests/tools/code/code_testing.h"
#include "tools/code/code_index.h"
#include "tools/code/map_render.h"
#include "tools/code/page_rank.h"
#include "tools/code/symbol_graph.h"

namespace {

using Files = std::vector<std::shared_ptr<const tools::FileSymbols>>;

// A file defining `defines` (functions) and referencing `references`.
std::shared_ptr<const tools::FileSymbols> File(const std::string& path, const std::vector<std::string>& defines,
                                               const std::vector<std::string>& references) {
  auto f = std::make_shared<tools::FileSymbols>();
  f->path = path;
  uint32_t line = 1;
  for (const auto& name : defines) {
    tools::Definition d;
    d.name = name;
    d.line = d.end_line = line++;
    d.signature = "def " + name;
    f->definitions.push_back(d);
  }
  for (const auto& name : references) f->references.push_back({name, line++, tools::ReferenceKind::kCall});
  return f;
}

double EdgeWeight(const tools::SymbolGraph& g, uint32_t from, uint32_t to) {
  double w = 0;
  for (const auto& e : g.edges) w += e.from == from && e.to == to ? e.weight : 0;
  return w;
}

size_t Best(const std::vector<double>& ranks) {
  return static_cast<size_t>(std::max_element(ranks.begin(), ranks.end()) - ranks.begin());
}

}  // namespace

TEST_CASE("rank: the most referenced file ranks first; its referenced definitions lead", "[tools][code]") {
  const Files files = {
      File("a.py", {"core_function", "unused_helper"}, {}),
      File("b.py", {"b_function"}, {"core_function"}),
      File("c.py", {"c_function"}, {"core_function", "b_function"}),
      File("d.py", {}, {"core_function", "core_function", "c_function"}),
      File("e.py", {"lonely"}, {}),
  };
  const tools::SymbolGraph g = tools::BuildSymbolGraph(files);
  CHECK(g.edges.size() == 5);  // b->a, c->a, c->b, d->a, d->c
  CHECK(EdgeWeight(g, 3, 0) > EdgeWeight(g, 1, 0));  // two references weigh more than one (sqrt)
  const tools::Ranking r = tools::RankSymbols(g, {});
  CHECK(Best(r.file_rank) == 0);
  CHECK(r.file_rank[0] > r.file_rank[1]);
  CHECK(r.file_rank[1] > r.file_rank[4]);
  double sum = 0;
  for (double x : r.file_rank) sum += x;
  CHECK(std::fabs(sum - 1.0) < 1e-9);
  CHECK(r.definition_rank[0][0] > 0);   // core_function
  CHECK(r.definition_rank[0][1] == 0);  // unused_helper
  CHECK(r.definition_rank[0][0] > r.definition_rank[1][0]);
}

TEST_CASE("rank: names defined in many files or private say less; a file's own names stay local",
          "[tools][code]") {
  Files files;
  for (int i = 0; i < 6; ++i) files.push_back(File("gen" + std::to_string(i) + ".py", {"run"}, {}));
  files.push_back(File("special.py", {"specific_name", "_hidden"}, {}));
  files.push_back(File("user.py", {"local_thing"}, {"run", "specific_name", "_hidden", "local_thing"}));
  const tools::SymbolGraph g = tools::BuildSymbolGraph(files);
  const uint32_t user = 7;
  // `run` is split six ways and counts a tenth; `specific_name` is long and
  // specific (x10); `_hidden` counts a tenth.
  CHECK(EdgeWeight(g, user, 0) == Approx(0.1 / 6));
  CHECK(EdgeWeight(g, user, 6) == Approx(10.0 + 0.1));
  for (const auto& e : g.edges) CHECK(e.to != user);  // local_thing resolves to user.py itself

  // A name defined in more files than any reference could single out adds
  // no edges at all.
  Files many;
  for (int i = 0; i < 70; ++i) many.push_back(File("m" + std::to_string(i) + ".py", {"apply"}, {}));
  many.push_back(File("caller.py", {}, {"apply"}));
  CHECK(tools::BuildSymbolGraph(many).edges.empty());
}

TEST_CASE("rank: a reference reaches only the definitions it can mean", "[tools][code]") {
  auto typed = [](const std::string& path, tools::Language language, const std::string& name, tools::SymbolKind kind) {
    auto f = std::make_shared<tools::FileSymbols>(*File(path, {name}, {}));
    f->language = language;
    f->definitions[0].kind = kind;
    return std::shared_ptr<const tools::FileSymbols>(f);
  };
  auto user = std::make_shared<tools::FileSymbols>(*File("user.py", {}, {}));
  user->language = tools::Language::kPython;
  user->references = {{"list", 1, tools::ReferenceKind::kCall},         // the builtin, not a method
                      {"Widget", 2, tools::ReferenceKind::kType},       // the class, not the function
                      {"Widget", 3, tools::ReferenceKind::kType},
                      {"refresh", 4, tools::ReferenceKind::kMemberCall},  // any refresh
                      {"str", 5, tools::ReferenceKind::kCall}};  // a builtin, whatever the repository defines
  const Files files = {
      typed("a.py", tools::Language::kPython, "list", tools::SymbolKind::kMethod),
      typed("b.py", tools::Language::kPython, "Widget", tools::SymbolKind::kClass),
      typed("c.py", tools::Language::kPython, "Widget", tools::SymbolKind::kFunction),
      typed("d.ts", tools::Language::kTypeScript, "Widget", tools::SymbolKind::kClass),  // another language
      typed("e.py", tools::Language::kPython, "refresh", tools::SymbolKind::kMethod),
      user,
      typed("f.py", tools::Language::kPython, "str", tools::SymbolKind::kFunction),
  };
  const tools::SymbolGraph g = tools::BuildSymbolGraph(files);
  CHECK(EdgeWeight(g, 5, 0) == 0);
  CHECK(EdgeWeight(g, 5, 1) == Approx(std::sqrt(2.0)));
  CHECK(EdgeWeight(g, 5, 2) == 0);
  CHECK(EdgeWeight(g, 5, 3) == 0);
  CHECK(EdgeWeight(g, 5, 4) == Approx(1.0));
  CHECK(EdgeWeight(g, 5, 6) == 0);
  // In C++ a plain call may be a member function called from a sibling.
  auto cpp_user = std::make_shared<tools::FileSymbols>(*File("user.cc", {}, {"Helper"}));
  cpp_user->language = tools::Language::kCpp;
  const tools::SymbolGraph cpp = tools::BuildSymbolGraph(
      {typed("h.h", tools::Language::kCpp, "Helper", tools::SymbolKind::kMethod), cpp_user});
  CHECK(EdgeWeight(cpp, 1, 0) == Approx(1.0));
}

TEST_CASE("rank: the session's files pull the ranking toward them", "[tools][code]") {
  const Files files = {
      File("hub.py", {"hub_function"}, {}),
      File("x.py", {"x_function"}, {"hub_function"}),
      File("y.py", {"y_function"}, {"hub_function"}),
      File("z.py", {"z_function"}, {}),
      File("uses_z.py", {}, {"z_function"}),
  };
  const tools::SymbolGraph g = tools::BuildSymbolGraph(files);
  const tools::Ranking plain = tools::RankSymbols(g, {});
  std::vector<double> bias(files.size(), 0.0);
  bias[4] = 1.0;  // the session worked on uses_z.py
  const tools::Ranking biased = tools::RankSymbols(g, bias);
  CHECK(plain.file_rank[0] > plain.file_rank[3]);
  CHECK(biased.file_rank[3] > biased.file_rank[0]);  // z.py, which uses_z.py depends on, now leads hub.py
  CHECK(biased.file_rank[4] > plain.file_rank[4]);
}

TEST_CASE("rank: deterministic, and the fixture's store header ranks first", "[tools][code]") {
  auto repo = code_testing::MakeFixtureRepo();
  tools::CodeIndex index;
  auto snapshot = index.Refresh(repo.root, nullptr);
  REQUIRE(snapshot.ok());
  const auto& s = **snapshot;
  const tools::Ranking one = tools::RankSymbols(s.graph(), {});
  const tools::Ranking two = tools::RankSymbols(tools::BuildSymbolGraph(s.files()), {});
  CHECK(one.file_rank == two.file_rank);  // bit for bit
  CHECK(one.definition_rank == two.definition_rank);

  const auto order = tools::FilesByRank(one, std::vector<bool>(s.files().size(), true));
  REQUIRE(!order.empty());
  auto position = [&](const std::string& path) {
    return std::find(order.begin(), order.end(), static_cast<uint32_t>(s.Find(path))) - order.begin();
  };
  CHECK(s.files()[order[0]]->path == "core/store.h");  // referenced from three files
  CHECK(position("core/store.cc") < position("app/main.cc"));  // referenced vs. only referencing
  CHECK(position("py/analyze.py") < position("py/cli.py"));
  CHECK(position("web/types.ts") < position("web/view.tsx"));
  CHECK(one.file_rank[s.Find("app/main.cc")] == one.file_rank[s.Find("py/cli.py")]);  // nobody uses either
  // Its most referenced definitions are the Store class and the Record struct.
  const int header = s.Find("core/store.h");
  const auto& defs = s.files()[header]->definitions;
  const auto& ranks = one.definition_rank[header];
  const std::string best = defs[Best(ranks)].name;
  CHECK((best == "Store" || best == "Record"));
}

