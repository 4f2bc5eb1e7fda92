// The newline-delimited JSON framing, over a plain pipe.
#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>

#include "tools/mcp/json_lines.h"

namespace {

using tools::mcp::DeadlineAfter;
using tools::mcp::JsonLines;

struct PipePair {
  int read = -1, write = -1;
  PipePair() {
    int fds[2];
    REQUIRE(::pipe2(fds, O_NONBLOCK | O_CLOEXEC) == 0);
    read = fds[0];
    write = fds[1];
  }
  ~PipePair() {
    if (read >= 0) ::close(read);
    CloseWrite();
  }
  void Put(const std::string& bytes) const { REQUIRE(::write(write, bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size())); }
  void CloseWrite() {
    if (write >= 0) ::close(write);
    write = -1;
  }
};

}  // namespace

TEST_CASE("json lines: messages split across reads and blank lines", "[tools][mcp][framing]") {
  PipePair p;
  JsonLines lines(1024);
  p.Put("\n  \n{\"a\":");
  auto none = lines.Read(p.read, DeadlineAfter(0.05));
  REQUIRE_FALSE(none.ok());
  CHECK(none.status().code() == base::StatusCode::kDeadlineExceeded);
  p.Put("1}\r\n{\"b\":2}\n{\"c\"");
  auto first = lines.Read(p.read, DeadlineAfter(1));
  REQUIRE(first.ok());
  CHECK(*first == nlohmann::json{{"a", 1}});
  auto second = lines.Read(p.read, DeadlineAfter(1));
  REQUIRE(second.ok());
  CHECK(*second == nlohmann::json{{"b", 2}});
  p.CloseWrite();
  auto cut = lines.Read(p.read, DeadlineAfter(1));
  REQUIRE_FALSE(cut.ok());
  CHECK(cut.status().code() == base::StatusCode::kIoError);
  CHECK_THAT(cut.status().message(), Catch::Contains("in the middle of a message"));
}

TEST_CASE("json lines: end of file, garbage and non-objects", "[tools][mcp][framing]") {
  PipePair p;
  JsonLines lines(1024);
  p.Put("not json at all\n[1,2]\n");
  auto garbage = lines.Read(p.read, DeadlineAfter(1));
  REQUIRE_FALSE(garbage.ok());
  CHECK(garbage.status().code() == base::StatusCode::kCorruption);
  CHECK(garbage.status().message() == "a line that is not JSON: \"not json at all\"");
  auto array = lines.Read(p.read, DeadlineAfter(1));
  REQUIRE_FALSE(array.ok());
  CHECK(array.status().code() == base::StatusCode::kCorruption);
  CHECK_THAT(array.status().message(), Catch::Contains("not an object"));
  p.CloseWrite();
  auto eof = lines.Read(p.read, DeadlineAfter(1));
  REQUIRE_FALSE(eof.ok());
  CHECK(eof.status().code() == base::StatusCode::kIoError);
  CHECK(eof.status().message() == "end of output");
}

TEST_CASE("json lines: a message over the limit, with or without its newline", "[tools][mcp][framing]") {
  SECTION("complete line") {
    PipePair p;
    JsonLines lines(100);
    p.Put("{\"x\":\"" + std::string(200, 'y') + "\"}\n");
    auto big = lines.Read(p.read, DeadlineAfter(1));
    REQUIRE_FALSE(big.ok());
    CHECK(big.status().code() == base::StatusCode::kResourceExhausted);
    CHECK_THAT(big.status().message(), Catch::Contains("over the limit of 100"));
  }
  SECTION("a line that never ends is cut off without waiting for the rest") {
    PipePair p;
    JsonLines lines(100);
    p.Put(std::string(500, 'z'));
    auto big = lines.Read(p.read, DeadlineAfter(5));
    REQUIRE_FALSE(big.ok());
    CHECK(big.status().code() == base::StatusCode::kResourceExhausted);
  }
}

TEST_CASE("json lines: writing to a closed pipe is an error, not SIGPIPE", "[tools][mcp][framing]") {
  PipePair p;
  JsonLines lines(1024);
  REQUIRE(lines.Write(p.write, {{"jsonrpc", "2.0"}, {"method", "x"}}, DeadlineAfter(1)).ok());
  char buf[64] = {};
  ssize_t n = ::read(p.read, buf, sizeof(buf));
  CHECK(std::string(buf, n > 0 ? static_cast<size_t>(n) : 0) == "{\"jsonrpc\":\"2.0\",\"method\":\"x\"}\n");
  ::close(p.read);
  p.read = -1;
  base::Status s = lines.Write(p.write, {{"a", 1}}, DeadlineAfter(1));
  CHECK(s.code() == base::StatusCode::kIoError);  // and the test process is still alive
}

TEST_CASE("json lines: a reader that never reads makes the write time out", "[tools][mcp][framing]") {
  PipePair p;
  JsonLines lines(16 * 1024 * 1024);
  const std::string big(1024 * 1024, 'q');  // far more than a pipe holds
  base::Status s = lines.Write(p.write, {{"big", big}}, DeadlineAfter(0.2));
  CHECK(s.code() == base::StatusCode::kDeadlineExceeded);
}
