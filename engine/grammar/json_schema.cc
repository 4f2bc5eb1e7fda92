#include "engine/grammar/json_schema.h"

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace engine::grammar {
namespace {

using json = nlohmann::ordered_json;

Sequence Lit(std::string_view text) {
  Sequence s;
  AppendLiteral(text, &s);
  return s;
}

Sequence Cat(std::initializer_list<Sequence> parts) {
  Sequence s;
  for (const Sequence& p : parts) s.insert(s.end(), p.begin(), p.end());
  return s;
}

Sequence Ref(uint32_t rule) { return {Symbol::Ref(rule)}; }

class SchemaCompiler {
 public:
  SchemaCompiler(const json& root, const JsonGrammarLimits& limits, GrammarBuilder* b)
      : root_(root), limits_(limits), b_(b), ws_(WhitespaceRule(b)) {}

  base::Result<uint32_t> Value(const json& schema, int depth) {
    if (depth > 64) return base::InvalidArgument("JSON schema: nesting deeper than 64 (a $ref cycle without objects?)");
    if (schema.is_boolean()) {
      if (!schema.get<bool>()) return base::InvalidArgument("JSON schema: 'false' admits no value");
      return Any(limits_.max_free_depth);
    }
    if (!schema.is_object()) return base::InvalidArgument("JSON schema: a schema must be an object or a boolean");
    if (auto it = schema.find("$ref"); it != schema.end()) return Reference(*it, depth);
    if (auto it = schema.find("const"); it != schema.end()) return b_->Rule("const", Lit(it->dump()));
    if (auto it = schema.find("enum"); it != schema.end()) {
      if (!it->is_array() || it->empty()) return base::InvalidArgument("JSON schema: 'enum' must be a non-empty array");
      const uint32_t r = b_->NewRule("enum");
      for (const json& v : *it) b_->AddAlternative(r, Lit(v.dump()));
      return r;
    }
    for (const char* key : {"anyOf", "oneOf"}) {
      if (auto it = schema.find(key); it != schema.end()) return Alternatives(*it, key, depth);
    }
    if (auto it = schema.find("allOf"); it != schema.end()) {
      if (!it->is_array() || it->size() != 1) {
        return base::InvalidArgument("JSON schema: only a one-element 'allOf' is supported");
      }
      return Value((*it)[0], depth + 1);
    }
    auto type = schema.find("type");
    if (type == schema.end()) {
      if (schema.contains("properties")) return Object(schema, depth);
      if (schema.contains("items")) return Array(schema, depth);
      return Any(limits_.max_free_depth);
    }
    if (type->is_array()) {
      const uint32_t r = b_->NewRule("types");
      for (const json& t : *type) {
        json one = schema;
        one["type"] = t;
        ASSIGN_OR_RETURN(uint32_t alt, Value(one, depth + 1));
        b_->AddAlternative(r, Ref(alt));
      }
      if (type->empty()) return base::InvalidArgument("JSON schema: empty 'type' list");
      return r;
    }
    if (!type->is_string()) return base::InvalidArgument("JSON schema: 'type' must be a string or a list");
    const std::string t = type->get<std::string>();
    if (t == "object") return Object(schema, depth);
    if (t == "array") return Array(schema, depth);
    if (t == "string") return String(schema.value("minLength", 0), schema.value("maxLength", limits_.max_string_chars));
    if (t == "integer") return Integer();
    if (t == "number") return Number();
    if (t == "boolean") return Boolean();
    if (t == "null") return b_->Rule("null", Lit("null"));
    return base::InvalidArgument("JSON schema: unknown type '" + t + "'");
  }

 private:
  base::Result<uint32_t> Reference(const json& ref, int depth) {
    if (!ref.is_string()) return base::InvalidArgument("JSON schema: '$ref' must be a string");
    const std::string path = ref.get<std::string>();
    if (auto it = refs_.find(path); it != refs_.end()) return it->second;
    std::string name;
    for (const char* prefix : {"#/$defs/", "#/definitions/"}) {
      if (path.starts_with(prefix)) name = path.substr(std::string_view(prefix).size());
    }
    const char* section = path.starts_with("#/$defs/") ? "$defs" : "definitions";
    if (name.empty() || !root_.contains(section) || !root_[section].contains(name)) {
      return base::InvalidArgument("JSON schema: unresolved '$ref' " + path + " (only local #/$defs/ refs)");
    }
    // Declared before compiling, so recursive references close the loop.
    const uint32_t r = b_->NewRule("ref " + name);
    refs_[path] = r;
    ASSIGN_OR_RETURN(uint32_t body, Value(root_[section][name], depth + 1));
    b_->AddAlternative(r, Ref(body));
    return r;
  }

  base::Result<uint32_t> Alternatives(const json& list, const char* key, int depth) {
    if (!list.is_array() || list.empty()) {
      return base::InvalidArgument(std::string("JSON schema: '") + key + "' must be a non-empty array");
    }
    const uint32_t r = b_->NewRule(key);
    for (const json& s : list) {
      ASSIGN_OR_RETURN(uint32_t alt, Value(s, depth + 1));
      b_->AddAlternative(r, Ref(alt));
    }
    return r;
  }

  // "{" members "}" with the declared properties in order; required ones
  // always present, optional ones each optional.
  base::Result<uint32_t> Object(const json& schema, int depth) {
    auto props = schema.find("properties");
    if (props == schema.end() || !props->is_object() || props->empty()) return FreeObject(limits_.max_free_depth);
    std::vector<std::string> required;
    if (auto it = schema.find("required"); it != schema.end() && it->is_array()) {
      for (const json& r : *it) {
        if (r.is_string()) required.push_back(r.get<std::string>());
      }
    }
    struct Member {
      uint32_t rule;
      bool required;
    };
    std::vector<Member> members;
    for (const auto& [name, sub] : props->items()) {
      ASSIGN_OR_RETURN(uint32_t value, Value(sub, depth + 1));
      const bool req = std::find(required.begin(), required.end(), name) != required.end();
      members.push_back({b_->Rule("member " + name, Cat({Lit(json(name).dump()), Ref(ws_), Lit(":"), Ref(ws_),
                                                          Ref(value)})),
                         req});
    }
    // tail[i]: members i.. after at least one was written, each with a
    // leading comma (optional ones may be skipped).
    std::vector<uint32_t> tail(members.size() + 1);
    tail[members.size()] = b_->Rule("end", {});
    for (size_t i = members.size(); i-- > 0;) {
      tail[i] = b_->NewRule("rest");
      b_->AddAlternative(tail[i], Cat({Lit(","), Ref(ws_), Ref(members[i].rule), Ref(tail[i + 1])}));
      if (!members[i].required) b_->AddAlternative(tail[i], Ref(tail[i + 1]));
    }
    // head: the first member written is i (all before it optional and
    // skipped), or none when every member is optional.
    const uint32_t head = b_->NewRule("members");
    bool all_optional = true;
    for (size_t i = 0; i < members.size(); ++i) {
      b_->AddAlternative(head, Cat({Ref(members[i].rule), Ref(tail[i + 1])}));
      if (members[i].required) {
        all_optional = false;
        break;
      }
    }
    if (all_optional) b_->AddAlternative(head, {});
    return b_->Rule("object", Cat({Lit("{"), Ref(ws_), Ref(head), Ref(ws_), Lit("}")}));
  }

  base::Result<uint32_t> Array(const json& schema, int depth) {
    uint32_t item = 0;
    if (auto it = schema.find("items"); it != schema.end()) {
      ASSIGN_OR_RETURN(item, Value(*it, depth + 1));
    } else {
      item = Any(limits_.max_free_depth);
    }
    const int lo = std::max(0, schema.value("minItems", 0));
    const int hi = std::min(schema.value("maxItems", limits_.max_array_items), 4096);
    if (lo > hi) return base::InvalidArgument("JSON schema: minItems > maxItems");
    return List("[", "]", item, lo, hi);
  }

  // open ws (item (ws "," ws item){lo-1..hi-1})? ws close, as a chain.
  uint32_t List(const char* open, const char* close, uint32_t item, int lo, int hi) {
    const uint32_t end = b_->Rule("close", Cat({Ref(ws_), Lit(close)}));
    uint32_t next = end;  // after item k (1-based) when k == hi
    for (int k = hi - 1; k >= 1; --k) {
      const uint32_t r = b_->NewRule("items");
      b_->AddAlternative(r, Cat({Ref(ws_), Lit(","), Ref(ws_), Ref(item), Ref(next)}));
      if (k >= lo) b_->AddAlternative(r, Ref(end));
      next = r;
    }
    const uint32_t list = b_->NewRule("list");
    if (hi >= 1) b_->AddAlternative(list, Cat({Lit(open), Ref(ws_), Ref(item), Ref(next)}));
    if (lo == 0) b_->AddAlternative(list, Cat({Lit(open), Ref(end)}));
    return list;
  }

  uint32_t String(int lo, int hi) {
    hi = std::max(0, std::min(hi, 65536));
    lo = std::max(0, std::min(lo, hi));
    const std::pair<int, int> key{lo, hi};
    if (auto it = strings_.find(key); it != strings_.end()) return it->second;
    const uint32_t ch = Char();
    const uint32_t close = b_->Rule("quote", Lit("\""));
    uint32_t next = close;
    for (int k = hi - 1; k >= 0; --k) {  // chars left to write: chain of hi links
      const uint32_t r = b_->NewRule("chars");
      b_->AddAlternative(r, Cat({Ref(ch), Ref(next)}));
      if (k >= lo) b_->AddAlternative(r, Ref(close));
      next = r;
    }
    const uint32_t s = b_->Rule("string", Cat({Lit("\""), Ref(next)}));
    strings_[key] = s;
    return s;
  }

  // One JSON string character: unescaped ASCII, well-formed UTF-8, or an
  // escape.
  uint32_t Char() {
    if (char_rule_) return *char_rule_;
    auto R = [](uint8_t lo, uint8_t hi) { return Symbol::Ranges({{lo, hi}}); };
    const uint32_t cont = b_->Rule("utf8 tail", {R(0x80, 0xBF)});
    const uint32_t hex = b_->Rule("hex", {Symbol::Ranges({{'0', '9'}, {'a', 'f'}, {'A', 'F'}})});
    const uint32_t r = b_->NewRule("char");
    b_->AddAlternative(r, {Symbol::Ranges({{0x20, 0x21}, {0x23, 0x5B}, {0x5D, 0x7F}})});
    b_->AddAlternative(r, {R(0xC2, 0xDF), Symbol::Ref(cont)});
    b_->AddAlternative(r, {R(0xE0, 0xE0), R(0xA0, 0xBF), Symbol::Ref(cont)});
    b_->AddAlternative(r, {Symbol::Ranges({{0xE1, 0xEC}, {0xEE, 0xEF}}), Symbol::Ref(cont), Symbol::Ref(cont)});
    b_->AddAlternative(r, {R(0xED, 0xED), R(0x80, 0x9F), Symbol::Ref(cont)});
    b_->AddAlternative(r, {R(0xF0, 0xF0), R(0x90, 0xBF), Symbol::Ref(cont), Symbol::Ref(cont)});
    b_->AddAlternative(r, {R(0xF1, 0xF3), Symbol::Ref(cont), Symbol::Ref(cont), Symbol::Ref(cont)});
    b_->AddAlternative(r, {R(0xF4, 0xF4), R(0x80, 0x8F), Symbol::Ref(cont), Symbol::Ref(cont)});
    Sequence esc = Lit("\\");
    esc.push_back(Symbol::Ranges({{'"', '"'}, {'\\', '\\'}, {'/', '/'}, {'b', 'b'}, {'f', 'f'}, {'n', 'n'},
                                  {'r', 'r'}, {'t', 't'}}));
    b_->AddAlternative(r, esc);
    b_->AddAlternative(r, Cat({Lit("\\u"), Ref(hex), Ref(hex), Ref(hex), Ref(hex)}));
    char_rule_ = r;
    return r;
  }

  // Up to n digits (at least one).
  uint32_t Digits(int n) {
    const Symbol digit = Symbol::Ranges({{'0', '9'}});
    uint32_t next = b_->Rule("no digit", {});
    for (int k = 1; k < n; ++k) {
      const uint32_t r = b_->NewRule("digits");
      b_->AddAlternative(r, {digit, Symbol::Ref(next)});
      b_->AddAlternative(r, {});
      next = r;
    }
    return b_->Rule("digit", {digit, Symbol::Ref(next)});
  }

  uint32_t Integer() {
    if (integer_) return *integer_;
    const int n = std::max(1, limits_.max_number_digits);
    const uint32_t tail = n > 1 ? Digits(n - 1) : b_->Rule("none", {});
    const uint32_t digits_after_lead = b_->NewRule("int tail");
    b_->AddAlternative(digits_after_lead, Ref(tail));
    if (n > 1) b_->AddAlternative(digits_after_lead, {});
    const uint32_t mag = b_->NewRule("int magnitude");
    b_->AddAlternative(mag, Lit("0"));
    b_->AddAlternative(mag, {Symbol::Ranges({{'1', '9'}}), Symbol::Ref(digits_after_lead)});
    const uint32_t r = b_->NewRule("integer");
    b_->AddAlternative(r, Ref(mag));
    b_->AddAlternative(r, Cat({Lit("-"), Ref(mag)}));
    integer_ = r;
    return r;
  }

  uint32_t Number() {
    const uint32_t digits = Digits(std::max(1, limits_.max_number_digits));
    // Two exponent digits at most: 1e99 fits a double, 1e999 does not, and
    // JSON parsers reject numbers they cannot represent.
    const uint32_t exp_digits = Digits(2);
    const uint32_t frac = b_->NewRule("fraction");
    b_->AddAlternative(frac, Cat({Lit("."), Ref(digits)}));
    b_->AddAlternative(frac, {});
    const uint32_t exp = b_->NewRule("exponent");
    b_->AddAlternative(exp, {Symbol::Ranges({{'e', 'e'}, {'E', 'E'}}), Symbol::Ranges({{'+', '+'}, {'-', '-'}}),
                             Symbol::Ref(exp_digits)});
    b_->AddAlternative(exp, {Symbol::Ranges({{'e', 'e'}, {'E', 'E'}}), Symbol::Ref(exp_digits)});
    b_->AddAlternative(exp, {});
    return b_->Rule("number", Cat({Ref(Integer()), Ref(frac), Ref(exp)}));
  }

  uint32_t Boolean() {
    const uint32_t r = b_->NewRule("boolean");
    b_->AddAlternative(r, Lit("true"));
    b_->AddAlternative(r, Lit("false"));
    return r;
  }

  // Any JSON value nested at most `depth` more levels.
  uint32_t Any(int depth) {
    if (auto it = any_.find(depth); it != any_.end()) return it->second;
    const uint32_t r = b_->NewRule("any");
    any_[depth] = r;
    b_->AddAlternative(r, Ref(String(0, limits_.max_string_chars)));
    b_->AddAlternative(r, Ref(Number()));
    b_->AddAlternative(r, Ref(Boolean()));
    b_->AddAlternative(r, Lit("null"));
    if (depth > 0) {
      b_->AddAlternative(r, Ref(FreeObject(depth - 1)));
      b_->AddAlternative(r, Ref(List("[", "]", Any(depth - 1), 0, limits_.max_array_items)));
    }
    return r;
  }

  uint32_t FreeObject(int depth) {
    const uint32_t member = b_->Rule(
        "free member", Cat({Ref(String(0, limits_.max_string_chars)), Ref(ws_), Lit(":"), Ref(ws_), Ref(Any(depth))}));
    return List("{", "}", member, 0, limits_.max_free_members);
  }

  const json& root_;
  JsonGrammarLimits limits_;
  GrammarBuilder* b_;
  uint32_t ws_;
  std::map<std::string, uint32_t> refs_;
  std::map<std::pair<int, int>, uint32_t> strings_;
  std::map<int, uint32_t> any_;
  std::optional<uint32_t> char_rule_, integer_;
};

}  // namespace

uint32_t WhitespaceRule(GrammarBuilder* builder) {
  const uint32_t r = builder->NewRule("ws");
  builder->AddAlternative(r, Lit(" "));
  builder->AddAlternative(r, {});
  return r;
}

base::Result<uint32_t> CompileJsonSchema(const json& schema, const JsonGrammarLimits& limits, GrammarBuilder* builder) {
  SchemaCompiler compiler(schema, limits, builder);
  return compiler.Value(schema, 0);
}

}  // namespace engine::grammar
