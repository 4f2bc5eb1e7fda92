#include "tests/tools/git_testing.h"

#include <git2.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

namespace git_testing {
namespace {

struct Repo {
  git_repository* repo = nullptr;
  explicit Repo(const std::string& root) {
    git_libgit2_init();
    REQUIRE(git_repository_open(&repo, root.c_str()) == 0);
  }
  ~Repo() {
    git_repository_free(repo);
    git_libgit2_shutdown();
  }
};

std::string Hex(const git_oid& oid) {
  char buf[GIT_OID_HEXSZ + 1];
  git_oid_tostr(buf, sizeof buf, &oid);
  return buf;
}

git_signature* Sig() {
  git_signature* sig = nullptr;
  REQUIRE(git_signature_new(&sig, "Test User", "test@example.com", 1700000000, 60) == 0);
  return sig;
}

}  // namespace

std::string CommitAll(const std::string& root, const std::string& message) {
  Repo r(root);
  git_index* index = nullptr;
  REQUIRE(git_repository_index(&index, r.repo) == 0);
  REQUIRE(git_index_add_all(index, nullptr, GIT_INDEX_ADD_DEFAULT, nullptr, nullptr) == 0);
  REQUIRE(git_index_update_all(index, nullptr, nullptr, nullptr) == 0);
  REQUIRE(git_index_write(index) == 0);
  git_oid tree_id, commit_id;
  REQUIRE(git_index_write_tree(&tree_id, index) == 0);
  git_index_free(index);
  git_tree* tree = nullptr;
  REQUIRE(git_tree_lookup(&tree, r.repo, &tree_id) == 0);
  git_object* parent = nullptr;
  const bool has_parent = git_revparse_single(&parent, r.repo, "HEAD^{commit}") == 0;
  const git_commit* parents[1] = {reinterpret_cast<git_commit*>(parent)};
  git_signature* sig = Sig();
  REQUIRE(git_commit_create(&commit_id, r.repo, "HEAD", sig, sig, nullptr, message.c_str(), tree,
                            has_parent ? 1 : 0, parents) == 0);
  git_signature_free(sig);
  git_tree_free(tree);
  git_object_free(parent);
  return Hex(commit_id);
}

void Stage(const std::string& root, const std::string& relative) {
  Repo r(root);
  git_index* index = nullptr;
  REQUIRE(git_repository_index(&index, r.repo) == 0);
  REQUIRE(git_index_add_bypath(index, relative.c_str()) == 0);
  REQUIRE(git_index_write(index) == 0);
  git_index_free(index);
}

std::string Stash(const std::string& root) {
  Repo r(root);
  git_signature* sig = Sig();
  git_oid id;
  REQUIRE(git_stash_save(&id, r.repo, sig, "test stash", GIT_STASH_INCLUDE_UNTRACKED) == 0);
  git_signature_free(sig);
  return Hex(id);
}

std::string UserState(const std::string& root) {
  Repo r(root);
  std::string state;
  git_reference* head = nullptr;
  REQUIRE(git_reference_lookup(&head, r.repo, "HEAD") == 0);
  state += "HEAD -> ";
  state += git_reference_type(head) == GIT_REFERENCE_SYMBOLIC ? git_reference_symbolic_target(head)
                                                              : Hex(*git_reference_target(head));
  git_reference_free(head);
  state += "\n";
  git_reference_iterator* it = nullptr;
  REQUIRE(git_reference_iterator_new(&it, r.repo) == 0);
  git_reference* ref = nullptr;
  while (git_reference_next(&ref, it) == 0) {
    const std::string name = git_reference_name(ref);
    if (name.rfind("refs/longhaul/", 0) != 0 && git_reference_type(ref) == GIT_REFERENCE_DIRECT) {
      state += name + " " + Hex(*git_reference_target(ref)) + "\n";
    }
    git_reference_free(ref);
  }
  git_reference_iterator_free(it);
  std::ifstream in(std::string(git_repository_path(r.repo)) + "index", std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  state += "index bytes: " + std::to_string(ss.str().size()) + "\n" + ss.str();
  return state;
}

size_t CountObjects(const std::string& root) {
  Repo r(root);
  git_odb* odb = nullptr;
  REQUIRE(git_repository_odb(&odb, r.repo) == 0);
  size_t count = 0;
  REQUIRE(git_odb_foreach(
              odb,
              [](const git_oid*, void* payload) {
                ++*static_cast<size_t*>(payload);
                return 0;
              },
              &count) == 0);
  git_odb_free(odb);
  return count;
}

bool IsExecutable(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && (st.st_mode & S_IXUSR) != 0;
}

void SetExecutable(const std::string& path, bool on) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  REQUIRE(::chmod(path.c_str(), on ? (st.st_mode | 0111) : (st.st_mode & ~0111)) == 0);
}

}  // namespace git_testing
