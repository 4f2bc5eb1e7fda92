#include "base/status.h"

#include <catch2/catch.hpp>

namespace {

base::Result<int> ParsePositive(int x) {
  if (x <= 0) return base::InvalidArgument("not positive: " + std::to_string(x));
  return x;
}

base::Result<int> DoubleIt(int x) {
  ASSIGN_OR_RETURN(int v, ParsePositive(x));
  return v * 2;
}

base::Status Chain(int x) {
  RETURN_IF_ERROR(DoubleIt(x).status());
  return base::Status::Ok();
}

}  // namespace

TEST_CASE("Status default is OK and cheap", "[base][status]") {
  base::Status s;
  CHECK(s.ok());
  CHECK(s.code() == base::StatusCode::kOk);
  CHECK(s.message().empty());
  CHECK(s.ToString() == "OK");
}

TEST_CASE("Status carries code, message and context", "[base][status]") {
  base::Status s = base::Corruption("bad magic at offset 0");
  CHECK_FALSE(s.ok());
  CHECK(s.code() == base::StatusCode::kCorruption);
  CHECK(s.ToString() == "Corruption: bad magic at offset 0");
  base::Status wrapped = s.WithContext("model.gguf");
  CHECK(wrapped.code() == base::StatusCode::kCorruption);
  CHECK(wrapped.message() == "model.gguf: bad magic at offset 0");
  CHECK(base::Status::Ok().WithContext("x").ok());
}

TEST_CASE("ErrnoStatus maps disk-full and missing-file errors", "[base][status]") {
  CHECK(base::ErrnoStatus("write f", ENOSPC).code() == base::StatusCode::kNoSpace);
  CHECK(base::ErrnoStatus("write f", EDQUOT).code() == base::StatusCode::kNoSpace);
  CHECK(base::ErrnoStatus("open f", ENOENT).code() == base::StatusCode::kNotFound);
  CHECK(base::ErrnoStatus("open f", EIO).code() == base::StatusCode::kIoError);
  CHECK(base::ErrnoStatus("open f", ENOENT).message().find("open f: ") == 0);
}

TEST_CASE("Result holds a value or an error", "[base][status]") {
  auto good = DoubleIt(21);
  REQUIRE(good.ok());
  CHECK(*good == 42);
  CHECK(good.status().ok());

  auto bad = DoubleIt(-1);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().code() == base::StatusCode::kInvalidArgument);
  CHECK(bad.status().message() == "not positive: -1");

  CHECK(Chain(3).ok());
  CHECK(Chain(0).code() == base::StatusCode::kInvalidArgument);
}

TEST_CASE("Result built from an OK status becomes an internal error", "[base][status]") {
  base::Result<int> r{base::Status::Ok()};
  CHECK_FALSE(r.ok());
  CHECK(r.status().code() == base::StatusCode::kInternal);
}

TEST_CASE("Result moves out move-only values", "[base][status]") {
  base::Result<std::unique_ptr<int>> r = std::make_unique<int>(7);
  REQUIRE(r.ok());
  std::unique_ptr<int> p = std::move(r).value();
  CHECK(*p == 7);
}
