// Binary operators (everything but the short-circuit `and`/`or`), with the
// reference's type rules: numbers stay doubles tagged integer or float, `/`
// always gives a float, `//` floors, `%` keeps the dividend's sign (JS), `~`
// and string `+` use JavaScript string conversion, `in` works on arrays,
// strings and object keys, and `<` between strings is an error.
//
// Threading: pure function, safe from any thread.
#pragma once

#include <string_view>

#include "base/status.h"
#include "engine/chat/jinja_value.h"

namespace engine::jinja {

base::Result<Value> ApplyBinary(std::string_view op, const Value& left, const Value& right);

}  // namespace engine::jinja
