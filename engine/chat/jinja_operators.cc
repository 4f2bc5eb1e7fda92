#include "engine/chat/jinja_operators.h"

#include <cmath>
#include <string>
#include <vector>

namespace engine::jinja {
namespace {

bool IsNumericLike(const Value& v) { return v.is_number() || v.is_bool(); }

base::Result<Value> Power(const Value& left, const Value& right) {
  double a = left.number(), b = right.number();
  if (a == 0 && b < 0) return base::InvalidArgument("0.0 cannot be raised to a negative power");
  double result = std::pow(a, b);
  if (!std::isfinite(result)) return base::InvalidArgument("exponentiation result is not a finite real number");
  bool is_float = left.is_float() || right.is_float() || b < 0;
  return is_float ? Value::Float(result) : Value::Integer(result);
}

base::Result<Value> Arithmetic(std::string_view op, const Value& left, const Value& right, bool* handled) {
  *handled = true;
  const double a = left.number(), b = right.number();
  const bool is_float = left.is_float() || right.is_float();
  auto number = [&](double x) { return is_float ? Value::Float(x) : Value::Integer(x); };
  if (op == "+") return number(a + b);
  if (op == "-") return number(a - b);
  if (op == "*") return number(a * b);
  if (op == "/") return Value::Float(a / b);
  if (op == "//") return number(std::floor(a / b));
  if (op == "%") return number(std::fmod(a, b));
  if (op == "<") return Value::Bool(a < b);
  if (op == ">") return Value::Bool(a > b);
  if (op == ">=") return Value::Bool(a >= b);
  if (op == "<=") return Value::Bool(a <= b);
  *handled = false;
  return Value();
}

base::Result<Value> Concat(const Value& left, const Value& right) {
  ASSIGN_OR_RETURN(std::string a, RawToString(left));
  ASSIGN_OR_RETURN(std::string b, RawToString(right));
  return Value::String(a + b);
}

}  // namespace

base::Result<Value> ApplyBinary(std::string_view op, const Value& left, const Value& right) {
  if (op == "==" || op == "!=") {
    ASSIGN_OR_RETURN(bool equal, LooseEquals(left, right));
    return Value::Bool(op == "==" ? equal : !equal);
  }
  const bool membership = op == "in" || op == "not in";
  if (left.is_undefined() || right.is_undefined()) {
    if (right.is_undefined() && membership) return Value::Bool(op == "not in");
    return base::InvalidArgument("Cannot perform operation " + std::string(op) + " on undefined values");
  }
  if (left.is_null() || right.is_null()) return base::InvalidArgument("Cannot perform operation on null values");
  if (op == "~") return Concat(left, right);
  if (op == "**" && IsNumericLike(left) && IsNumericLike(right)) return Power(left, right);
  if (left.is_number() && right.is_number()) {
    bool handled = false;
    ASSIGN_OR_RETURN(Value result, Arithmetic(op, left, right, &handled));
    if (handled) return result;
  } else if (left.is_array() && right.is_array()) {
    if (op == "+") {
      std::vector<Value> items = left.array().items;
      items.insert(items.end(), right.array().items.begin(), right.array().items.end());
      return Value::Array(std::move(items));
    }
  } else if (right.is_array() && membership) {
    bool member = false;
    for (const Value& item : right.array().items) {
      if (StrictEquals(item, left)) {
        member = true;
        break;
      }
    }
    return Value::Bool(op == "in" ? member : !member);
  }
  if ((left.is_string() || right.is_string()) && op == "+") return Concat(left, right);
  if (left.is_string() && right.is_string() && membership) {
    bool found = right.str().find(left.str()) != std::string::npos;
    return Value::Bool(op == "in" ? found : !found);
  }
  if (left.is_string() && right.is_object() && membership) {
    bool found = right.object().Find(left.str()) != nullptr;
    return Value::Bool(op == "in" ? found : !found);
  }
  return base::InvalidArgument("Unknown operator \"" + std::string(op) + "\" between " +
                               std::string(TypeName(left)) + " and " + std::string(TypeName(right)));
}

}  // namespace engine::jinja
