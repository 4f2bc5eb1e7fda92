// The index: what it reads and skips, and re-parsing only what changed.
#include <catch2/catch.hpp>
#include <filesystem>
#include <thread>

#include "tests/tools/code/code_testing.h"
#include "tools/code/code_index.h"
#include "tools/code/code_tools.h"
#include "tools/code/token_estimate.h"
#include "tools/code_map.h"

using code_testing::FixtureSourceFiles;
using code_testing::MakeFixtureRepo;

namespace {

std::vector<std::string> Paths(const tools::CodeSnapshot& snapshot) {
  std::vector<std::string> paths;
  for (const auto& f : snapshot.files()) paths.push_back(f->path);
  return paths;
}

std::shared_ptr<const tools::CodeSnapshot> Refresh(tools::CodeIndex& index, const std::string& root,
                                                   tools::RefreshStats* stats) {
  auto snapshot = index.Refresh(root, stats);
  INFO(snapshot.status().ToString());
  REQUIRE(snapshot.ok());
  return *snapshot;
}

}  // namespace

TEST_CASE("index: indexes supported files; skips ignored, unknown, binary and oversized ones", "[tools][code]") {
  auto repo = MakeFixtureRepo();
  tools::CodeIndex index;
  tools::RefreshStats stats;
  auto snapshot = Refresh(index, repo.root, &stats);
  CHECK(Paths(*snapshot) == FixtureSourceFiles());  // no notes.txt, ignored/, data/blob.c, big/huge.py
  const size_t n = FixtureSourceFiles().size();
  CHECK(stats.files == n);
  CHECK(stats.parsed == n);
  CHECK(stats.reused == 0);
  CHECK(stats.dropped == 0);
  CHECK(stats.skipped_binary == 1);
  CHECK(stats.skipped_large == 1);
  CHECK(stats.skipped_failed == 0);
  const int deploy = snapshot->Find("scripts/deploy");  // extensionless, by its #! line
  REQUIRE(deploy >= 0);
  CHECK(snapshot->files()[deploy]->language == tools::Language::kBash);
  CHECK(snapshot->Find("notes.txt") == -1);
  CHECK(snapshot->definition_count() > 40);
  CHECK(snapshot->reference_count() > 40);
}

TEST_CASE("index: a re-map re-parses exactly the edited file and drops deleted ones", "[tools][code]") {
  auto repo = MakeFixtureRepo();
  tools::CodeIndex index;
  const size_t n = FixtureSourceFiles().size();
  tools::RefreshStats stats;
  auto first = Refresh(index, repo.root, &stats);

  auto again = Refresh(index, repo.root, &stats);
  CHECK(stats.parsed == 0);
  CHECK(stats.reused == n);
  CHECK(again == first);  // nothing changed: the same snapshot

  repo.Write("py/analyze.py", repo.Read("py/analyze.py") + "\n\ndef added_later():\n    return 1\n");
  auto edited = Refresh(index, repo.root, &stats);
  CHECK(stats.parsed == 1);
  CHECK(stats.reused == n - 1);
  CHECK(edited != first);
  const int analyze = edited->Find("py/analyze.py");
  REQUIRE(analyze >= 0);
  bool found = false;
  for (const auto& d : edited->files()[analyze]->definitions) found |= d.name == "added_later";
  CHECK(found);
  // Unchanged files keep their parsed symbols (the same objects).
  CHECK(edited->files()[edited->Find("core/store.h")] == first->files()[first->Find("core/store.h")]);

  // Same content written again: a new stamp, the same hash, no parse.
  repo.Write("go/server.go", repo.Read("go/server.go"));
  Refresh(index, repo.root, &stats);
  CHECK(stats.parsed == 0);

  std::filesystem::remove(repo.root + "/web/client.js");
  auto removed = Refresh(index, repo.root, &stats);
  CHECK(stats.dropped == 1);
  CHECK(stats.files == n - 1);
  CHECK(removed->Find("web/client.js") == -1);

  // A source file turning binary is dropped too.
  repo.Write("rust/lib.rs", std::string("fn x() {}\n\0", 11));
  Refresh(index, repo.root, &stats);
  CHECK(stats.dropped == 1);
  CHECK(stats.skipped_binary == 2);

  const auto counters = index.counters();
  CHECK(counters.refreshes == 6);
  CHECK(counters.parsed == n + 1);
  CHECK(counters.dropped == 2);
}

TEST_CASE("index: another root starts afresh", "[tools][code]") {
  auto a = MakeFixtureRepo();
  auto b = tools_testing::MakeRepo(false);
  b.Write("only.py", "def only():\n    pass\n");
  tools::CodeIndex index;
  tools::RefreshStats stats;
  Refresh(index, a.root, &stats);
  auto other = Refresh(index, b.root, &stats);
  CHECK(Paths(*other) == std::vector<std::string>{"only.py"});
  CHECK(stats.dropped == 0);
  CHECK(stats.parsed == 1);
  CHECK(other->repo_root() == b.root);
}

TEST_CASE("index: SymbolsOf reuses cached symbols and parses files outside the index", "[tools][code]") {
  auto repo = MakeFixtureRepo();
  tools::CodeIndex index;
  auto snapshot = Refresh(index, repo.root, nullptr);
  auto cached = index.SymbolsOf(repo.root, "core/store.h", tools::Language::kCpp);
  REQUIRE(cached.ok());
  CHECK(*cached == snapshot->files()[snapshot->Find("core/store.h")]);
  auto ignored = index.SymbolsOf(repo.root, "ignored/secret.py", tools::Language::kPython);
  REQUIRE(ignored.ok());
  REQUIRE((*ignored)->definitions.size() == 1);
  CHECK((*ignored)->definitions[0].name == "hidden_function");
  auto binary = index.SymbolsOf(repo.root, "data/blob.c", tools::Language::kC);
  CHECK(binary.status().code() == base::StatusCode::kUnsupported);
  auto large = index.SymbolsOf(repo.root, "big/huge.py", tools::Language::kPython);
  CHECK(large.status().code() == base::StatusCode::kResourceExhausted);
  CHECK(index.counters().parsed == FixtureSourceFiles().size());  // the one-off parse is not cached
}

TEST_CASE("index: refreshes from several threads agree", "[tools][code]") {
  auto repo = MakeFixtureRepo();
  tools::CodeIndex index;
  std::vector<std::shared_ptr<const tools::CodeSnapshot>> seen(4);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < seen.size(); ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 3; ++i) {
        auto s = index.Refresh(repo.root, nullptr);
        if (s.ok()) seen[t] = *s;
        auto one = index.SymbolsOf(repo.root, "core/store.cc", tools::Language::kCpp);
        (void)one;
      }
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& s : seen) {
    REQUIRE(s != nullptr);
    CHECK(s == seen[0]);
  }
  CHECK(index.counters().parsed == FixtureSourceFiles().size());
}

TEST_CASE("index: many files parse on several threads with the same result", "[tools][code]") {
  auto repo = tools_testing::MakeRepo(false);
  for (int i = 0; i < 80; ++i) {
    repo.Write("gen/m" + std::to_string(i) + ".py",
               "def f" + std::to_string(i) + "():\n    return f" + std::to_string((i + 1) % 80) + "()\n");
  }
  tools::CodeIndex index;
  tools::RefreshStats stats;
  auto snapshot = Refresh(index, repo.root, &stats);
  CHECK(stats.parsed == 80);
  REQUIRE(snapshot->files().size() == 80);
  for (const auto& f : snapshot->files()) {
    REQUIRE(f->definitions.size() == 1);
    CHECK(f->path == "gen/m" + f->definitions[0].name.substr(1) + ".py");
    CHECK(f->references.size() == 1);
  }
}

TEST_CASE("index: BuildCodeMap times a cold map and a warm re-map", "[tools][code]") {
  auto repo = MakeFixtureRepo();
  auto index = tools::NewCodeIndex();
  auto cold = tools::BuildCodeMap(repo.root, 1024, *index);
  REQUIRE(cold.ok());
  const size_t n = FixtureSourceFiles().size();
  CHECK(cold->files == n);
  CHECK(cold->parsed == n);
  CHECK(cold->skipped == 2);
  CHECK(cold->map_tokens <= 1024);
  CHECK(cold->map_bytes > 0);
  CHECK(cold->definitions > 0);
  repo.Write("core/checksum.c", repo.Read("core/checksum.c") + "int extra(void) { return 1; }\n");
  auto warm = tools::BuildCodeMap(repo.root, 1024, *index);
  REQUIRE(warm.ok());
  CHECK(warm->parsed == 1);
  CHECK(warm->reused == n - 1);
  CHECK(warm->definitions == cold->definitions + 1);
  CHECK(!tools::BuildCodeMap(repo.root + "/no-such-dir", 1024, *index).ok());
}

TEST_CASE("index: a huge tree is cut at max_files, and the map says so", "[tools][code]") {
  auto repo = MakeFixtureRepo();
  tools::IndexLimits limits;
  limits.max_files = 5;
  auto index = std::make_shared<tools::CodeIndex>(limits);
  tools::RefreshStats stats;
  auto snapshot = Refresh(*index, repo.root, &stats);
  CHECK(snapshot->files().size() == 5);
  CHECK(stats.file_limit_reached);
  std::vector<std::unique_ptr<tools::Tool>> tools;
  tools.push_back(tools::NewCodeMapTool(index));
  auto r = code_testing::Run(tools, "code_map", {{"max_tokens", 200}}, repo.context);
  CHECK(code_testing::Has(r.text, "[the repository has more than 5 source files; only the first found are mapped]\n"));
  CHECK(tools::EstimateTokens(r.text) <= 200);
  CHECK(r.details["file_limit_reached"] == true);
}
