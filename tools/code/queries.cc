#include "tools/code/queries.h"

namespace tools {
namespace {

// A function declarator, bare or behind one or two `*` declarators (and
// `&`/`&&` in C++): `int f()`, `char *f()`, `char **f()`, `T& f()`.
std::string Declarators(const std::string& function_declarator, bool cpp) {
  const std::string& fd = function_declarator;
  std::string alternatives = fd + "\n    (pointer_declarator declarator: " + fd +
                             ")\n    (pointer_declarator declarator: (pointer_declarator declarator: " + fd + "))";
  if (cpp) alternatives += "\n    (reference_declarator " + fd + ")";
  return "[\n    " + alternatives + "\n  ]";
}

std::string CFamily(bool cpp) {
  const std::string name = cpp ? "[(identifier) (field_identifier) (qualified_identifier) (destructor_name) (operator_name)] @name"
                               : "(identifier) @name";
  const std::string declarators = Declarators("(function_declarator declarator: " + name + ")", cpp);
  std::string q;
  q += "(function_definition declarator: " + declarators + ") @definition.function\n";
  q += "(declaration declarator: " + declarators + ") @definition.function\n";
  if (cpp) q += "(field_declaration declarator: " + declarators + ") @definition.function\n";
  const std::string type_name = cpp ? "(_)" : "(type_identifier)";
  q += "(struct_specifier name: " + type_name + " @name body: (field_declaration_list)) @definition.struct\n";
  q += "(union_specifier name: " + type_name + " @name body: (field_declaration_list)) @definition.struct\n";
  q += "(enum_specifier name: " + type_name + " @name body: (enumerator_list)) @definition.enum\n";
  q += "(type_definition declarator: (type_identifier) @name) @definition.type\n";
  q += "(preproc_function_def name: (identifier) @name) @definition.macro\n";
  q += "(call_expression function: (identifier) @reference.call)\n";
  q += "(call_expression function: (field_expression field: (field_identifier) @reference.member_call))\n";
  q += "(type_identifier) @reference.type\n";
  if (cpp) {
    q += R"(
(class_specifier name: (_) @name body: (field_declaration_list)) @definition.class
(namespace_definition name: (_) @name) @definition.module
(alias_declaration name: (type_identifier) @name) @definition.type
(call_expression function: (qualified_identifier) @reference.call)
(call_expression function: (template_function name: (_) @reference.call))
(qualified_identifier scope: (namespace_identifier) @reference.type)
)";
  }
  return q;
}

constexpr const char* kPython = R"(
(class_definition name: (identifier) @name) @definition.class
(function_definition name: (identifier) @name) @definition.function
(call function: (identifier) @reference.call)
(call function: (attribute attribute: (identifier) @reference.member_call))
(decorator (identifier) @reference.call)
(class_definition superclasses: (argument_list (identifier) @reference.type))
(class_definition superclasses: (argument_list (attribute attribute: (identifier) @reference.type)))
(type (identifier) @reference.type)
)";

// Shared by JavaScript, TypeScript and TSX (whose class names differ).
std::string Script(const std::string& class_name) {
  std::string q = R"(
(function_declaration name: (identifier) @name) @definition.function
(generator_function_declaration name: (identifier) @name) @definition.function
(method_definition name: [(property_identifier) (private_property_identifier)] @name) @definition.method
(lexical_declaration (variable_declarator name: (identifier) @name
  value: [(arrow_function) (function_expression) (generator_function)])) @definition.function
(variable_declaration (variable_declarator name: (identifier) @name
  value: [(arrow_function) (function_expression) (generator_function)])) @definition.function
(lexical_declaration (variable_declarator name: (identifier) @name value: (class))) @definition.class
(assignment_expression left: (member_expression property: (property_identifier) @name)
  right: [(arrow_function) (function_expression)]) @definition.function
(pair key: (property_identifier) @name value: [(arrow_function) (function_expression)]) @definition.function
(call_expression function: (identifier) @reference.call)
(call_expression function: (member_expression property: (property_identifier) @reference.member_call))
(new_expression constructor: (identifier) @reference.type)
(new_expression constructor: (member_expression property: (property_identifier) @reference.type))
)";
  q += "(class_declaration name: " + class_name + " @name) @definition.class\n";
  return q;
}

constexpr const char* kTypeScriptOnly = R"(
(abstract_class_declaration name: (type_identifier) @name) @definition.class
(interface_declaration name: (type_identifier) @name) @definition.interface
(type_alias_declaration name: (type_identifier) @name) @definition.type
(enum_declaration name: (identifier) @name) @definition.enum
(function_signature name: (identifier) @name) @definition.function
(method_signature name: (property_identifier) @name) @definition.method
(abstract_method_signature name: (property_identifier) @name) @definition.method
(module name: (_) @name) @definition.module
(internal_module name: (_) @name) @definition.module
(extends_clause value: (identifier) @reference.type)
(type_identifier) @reference.type
)";

constexpr const char* kJavaScriptOnly = R"(
(class_heritage (identifier) @reference.type)
)";

constexpr const char* kJsx = R"(
(jsx_opening_element name: (identifier) @reference.call)
(jsx_self_closing_element name: (identifier) @reference.call)
)";

constexpr const char* kRust = R"(
(struct_item name: (type_identifier) @name) @definition.struct
(union_item name: (type_identifier) @name) @definition.struct
(enum_item name: (type_identifier) @name) @definition.enum
(type_item name: (type_identifier) @name) @definition.type
(trait_item name: (type_identifier) @name) @definition.interface
(function_item name: (identifier) @name) @definition.function
(function_signature_item name: (identifier) @name) @definition.function
(mod_item name: (identifier) @name) @definition.module
(macro_definition name: (identifier) @name) @definition.macro
(impl_item type: (_) @name) @definition.impl
(impl_item trait: (_) @reference.implementation)
(call_expression function: (identifier) @reference.call)
(call_expression function: (scoped_identifier name: (identifier) @reference.member_call))
(call_expression function: (field_expression field: (field_identifier) @reference.member_call))
(call_expression function: (generic_function function: (identifier) @reference.call))
(call_expression function: (generic_function function: (scoped_identifier name: (identifier) @reference.member_call)))
(scoped_identifier path: (identifier) @reference.type)
(macro_invocation macro: (identifier) @reference.call)
(type_identifier) @reference.type
)";

constexpr const char* kGo = R"(
(function_declaration name: (identifier) @name) @definition.function
(method_declaration name: (field_identifier) @name) @definition.method
(type_spec name: (type_identifier) @name type: (struct_type)) @definition.struct
(type_spec name: (type_identifier) @name type: (interface_type)) @definition.interface
(type_spec name: (type_identifier) @name) @definition.type
(type_alias name: (type_identifier) @name) @definition.type
(call_expression function: (identifier) @reference.call)
(call_expression function: (selector_expression field: (field_identifier) @reference.member_call))
(type_identifier) @reference.type
)";

constexpr const char* kBash = R"(
(function_definition name: (word) @name) @definition.function
(command name: (command_name (word) @reference.call))
)";

constexpr const char* kJson = R"(
(document (object (pair key: (string (string_content) @name)) @definition.key))
)";

}  // namespace

std::string QuerySource(Language language) {
  switch (language) {
    case Language::kC: return CFamily(false);
    case Language::kCpp: return CFamily(true);
    case Language::kPython: return kPython;
    case Language::kJavaScript: return Script("(identifier)") + kJavaScriptOnly + kJsx;
    case Language::kTypeScript: return Script("(type_identifier)") + kTypeScriptOnly;
    case Language::kTsx: return Script("(type_identifier)") + kTypeScriptOnly + kJsx;
    case Language::kRust: return kRust;
    case Language::kGo: return kGo;
    case Language::kBash: return kBash;
    case Language::kJson: return kJson;
  }
  return "";
}

}  // namespace tools
