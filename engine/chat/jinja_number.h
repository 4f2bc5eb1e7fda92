// JavaScript number semantics, which the reference implementation inherits:
// every number is a double, printed by Number.prototype.toString, parsed by
// parseInt / parseFloat / ToNumber.
//
// Threading: pure functions, safe from any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace engine::jinja {

// Number.prototype.toString(): shortest round-trip digits, exponent form
// outside [1e-7, 1e21), "NaN", "Infinity", "-0" prints as "0".
std::string JsNumberToString(double x);
// How the reference prints a float: integral values get ".0" (toFixed(1)),
// -0 prints "-0.0", everything else as JsNumberToString.
std::string JsFloatToString(double x);
// parseInt(text, 10) / parseFloat(text); nullopt where JS gives NaN.
std::optional<double> JsParseInt(std::string_view text);
std::optional<double> JsParseFloat(std::string_view text);
// ToNumber(string), as used by `==` between a string and a number. May be NaN.
double JsStringToNumber(std::string_view text);
// ToIntegerOrInfinity: NaN -> 0, otherwise truncated toward zero.
double JsToIntegerOrInfinity(double x);

}  // namespace engine::jinja
