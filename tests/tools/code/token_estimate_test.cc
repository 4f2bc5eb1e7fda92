// The token estimate the code map budgets with.
#include <catch2/catch.hpp>

#include "tools/code/token_estimate.h"

using tools::EstimateTokens;

TEST_CASE("token estimate: words, sub-words, digits, punctuation and spaces", "[tools][code]") {
  CHECK(EstimateTokens("") == 0);
  CHECK(EstimateTokens("class") == 1);
  CHECK(EstimateTokens("parseHTTPRequest") == 3);  // parse HTTP Request
  CHECK(EstimateTokens("list_len") == 3);          // list _ len
  CHECK(EstimateTokens("abcdefghijklmnopq") == 3);  // 17 letters: 1 + 16 / 8
  CHECK(EstimateTokens("1234567") == 3);           // digits in threes
  CHECK(EstimateTokens("f(a, b);") == 7);          // f ( a , " b" ) ;
  CHECK(EstimateTokens("a b") == 2);               // a single space before a word is free
  CHECK(EstimateTokens("a  b") == 3);
  CHECK(EstimateTokens("\n\n") == 2);
  CHECK(EstimateTokens("\xc3\xa9t\xc3\xa9") == 3);  // été: 1 + t + 1
}

TEST_CASE("token estimate: additive over lines, never below bytes/4 for code", "[tools][code]") {
  const std::vector<std::string> lines = {
      "  12: class Server : public Base {\n",
      "  40:   base::Result<std::vector<std::string>> ReadLines(const std::string& path) const;\n",
      "src/server/http_handler.cc:\n",
      "  7: def summarize(self):\n",
      "\n",
  };
  std::string all;
  size_t sum = 0;
  for (const std::string& line : lines) {
    all += line;
    sum += EstimateTokens(line);
    CHECK(EstimateTokens(line) * 4 >= line.size());
  }
  CHECK(EstimateTokens(all) == sum);
}
