#include "engine/chat/jinja_number.h"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>

#include "engine/chat/jinja_unicode.h"

namespace engine::jinja {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Longest prefix of `text` that is an unsigned StrDecimalLiteral without
// "Infinity": digits [. digits] [e [+-] digits], or . digits [exponent].
size_t ScanUnsignedDecimal(std::string_view text) {
  size_t i = 0;
  size_t int_digits = 0, frac_digits = 0;
  while (i < text.size() && IsDigit(text[i])) ++i, ++int_digits;
  if (i < text.size() && text[i] == '.') {
    size_t j = i + 1;
    while (j < text.size() && IsDigit(text[j])) ++j, ++frac_digits;
    if (int_digits + frac_digits == 0) return 0;
    i = j;
  }
  if (int_digits + frac_digits == 0) return 0;
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    size_t j = i + 1;
    if (j < text.size() && (text[j] == '+' || text[j] == '-')) ++j;
    size_t exp_start = j;
    while (j < text.size() && IsDigit(text[j])) ++j;
    if (j > exp_start) i = j;
  }
  return i;
}

// Converts an unsigned decimal literal (as matched above) to the nearest double.
double DecimalToDouble(std::string_view literal) {
  double value = 0;
  const char* begin = literal.data();
  const char* end = begin + literal.size();
  auto [ptr, ec] = std::from_chars(begin, end, value, std::chars_format::general);
  if (ec == std::errc::result_out_of_range) {
    size_t e = literal.find_first_of("eE");
    bool negative_exponent = e != std::string_view::npos && e + 1 < literal.size() && literal[e + 1] == '-';
    return negative_exponent ? 0.0 : std::numeric_limits<double>::infinity();
  }
  if (ec != std::errc() || ptr != end) return std::numeric_limits<double>::quiet_NaN();
  return value;
}

std::optional<double> ParseSignedDecimalPrefix(std::string_view text, bool whole) {
  double sign = 1;
  size_t i = 0;
  if (i < text.size() && (text[i] == '+' || text[i] == '-')) {
    if (text[i] == '-') sign = -1;
    ++i;
  }
  std::string_view rest = text.substr(i);
  if (rest.substr(0, 8) == "Infinity") {
    if (whole && rest.size() != 8) return std::nullopt;
    return sign * std::numeric_limits<double>::infinity();
  }
  size_t len = ScanUnsignedDecimal(rest);
  if (len == 0 || (whole && len != rest.size())) return std::nullopt;
  return sign * DecimalToDouble(rest.substr(0, len));
}

}  // namespace

std::string JsNumberToString(double x) {
  if (std::isnan(x)) return "NaN";
  if (x == 0) return "0";
  if (x < 0) return "-" + JsNumberToString(-x);
  if (std::isinf(x)) return "Infinity";
  char buf[64];
  auto result = std::to_chars(buf, buf + sizeof(buf), x, std::chars_format::scientific);
  std::string_view sci(buf, static_cast<size_t>(result.ptr - buf));
  size_t e_pos = sci.find('e');
  std::string digits;
  for (char c : sci.substr(0, e_pos)) {
    if (c != '.') digits.push_back(c);
  }
  int exponent = std::atoi(std::string(sci.substr(e_pos + 1)).c_str());
  const int k = static_cast<int>(digits.size());
  const int n = exponent + 1;  // value = 0.digits * 10^n
  if (k <= n && n <= 21) return digits + std::string(static_cast<size_t>(n - k), '0');
  if (0 < n && n <= 21) return digits.substr(0, static_cast<size_t>(n)) + "." + digits.substr(static_cast<size_t>(n));
  if (-6 < n && n <= 0) return "0." + std::string(static_cast<size_t>(-n), '0') + digits;
  std::string out(1, digits[0]);
  if (k > 1) out += "." + digits.substr(1);
  out += exponent < 0 ? "e-" : "e+";
  out += std::to_string(std::abs(exponent));
  return out;
}

std::string JsFloatToString(double x) {
  if (x == 0 && std::signbit(x)) return "-0.0";
  if (std::isfinite(x) && x == std::trunc(x) && std::fabs(x) < 1e21) {
    char buf[64];
    auto result = std::to_chars(buf, buf + sizeof(buf), x, std::chars_format::fixed, 0);
    return std::string(buf, result.ptr) + ".0";
  }
  return JsNumberToString(x);
}

std::optional<double> JsParseInt(std::string_view text) {
  text = JsTrimStart(text);
  double sign = 1;
  size_t i = 0;
  if (i < text.size() && (text[i] == '+' || text[i] == '-')) {
    if (text[i] == '-') sign = -1;
    ++i;
  }
  size_t start = i;
  while (i < text.size() && IsDigit(text[i])) ++i;
  if (i == start) return std::nullopt;
  return sign * DecimalToDouble(text.substr(start, i - start));
}

std::optional<double> JsParseFloat(std::string_view text) {
  return ParseSignedDecimalPrefix(JsTrimStart(text), /*whole=*/false);
}

double JsStringToNumber(std::string_view text) {
  text = JsTrim(text);
  if (text.empty()) return 0;
  if (text.size() > 2 && text[0] == '0') {
    int base = 0;
    char marker = text[1];
    if (marker == 'x' || marker == 'X') base = 16;
    if (marker == 'o' || marker == 'O') base = 8;
    if (marker == 'b' || marker == 'B') base = 2;
    if (base != 0) {
      double value = 0;
      for (char c : text.substr(2)) {
        int digit = IsDigit(c) ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : (c >= 'A' && c <= 'F') ? c - 'A' + 10 : 99;
        if (digit >= base) return std::numeric_limits<double>::quiet_NaN();
        value = value * base + digit;
      }
      return value;
    }
  }
  std::optional<double> value = ParseSignedDecimalPrefix(text, /*whole=*/true);
  return value ? *value : std::numeric_limits<double>::quiet_NaN();
}

double JsToIntegerOrInfinity(double x) {
  if (std::isnan(x)) return 0;
  return std::trunc(x);
}

}  // namespace engine::jinja
