#include "tools/regex.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <string>

namespace tools {

namespace {
// Backtracking steps and nesting allowed per line: ample for real
// patterns, small enough that a pathological one costs milliseconds.
constexpr uint32_t kMatchLimit = 1000000;
constexpr uint32_t kDepthLimit = 10000;
}  // namespace

struct Regex::Impl {
  pcre2_code* code = nullptr;
  pcre2_match_data* data = nullptr;
  pcre2_match_context* context = nullptr;
  ~Impl() {
    if (data != nullptr) pcre2_match_data_free(data);
    if (context != nullptr) pcre2_match_context_free(context);
    if (code != nullptr) pcre2_code_free(code);
  }
};

Regex::~Regex() = default;

base::Result<std::unique_ptr<Regex>> Regex::Compile(std::string_view pattern, bool case_insensitive) {
  std::unique_ptr<Regex> re(new Regex());
  re->impl_ = std::make_unique<Impl>();
  // UTF + UCP: `.` and \w see characters, not bytes; MATCH_INVALID_UTF
  // lets lines that are not valid UTF-8 be searched instead of failing.
  uint32_t options = PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF;
  if (case_insensitive) options |= PCRE2_CASELESS;
  int error = 0;
  PCRE2_SIZE offset = 0;
  re->impl_->code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(), options, &error,
                                  &offset, nullptr);
  if (re->impl_->code == nullptr) {
    PCRE2_UCHAR message[256];
    pcre2_get_error_message(error, message, sizeof(message));
    return base::InvalidArgument("invalid regular expression " + std::string(pattern) + ": " +
                                 reinterpret_cast<const char*>(message) + " at offset " + std::to_string(offset));
  }
  // JIT is an optimisation only; where the system forbids executable
  // memory the interpreter runs instead.
  (void)pcre2_jit_compile(re->impl_->code, PCRE2_JIT_COMPLETE);
  re->impl_->data = pcre2_match_data_create_from_pattern(re->impl_->code, nullptr);
  re->impl_->context = pcre2_match_context_create(nullptr);
  if (re->impl_->data == nullptr || re->impl_->context == nullptr) return base::ResourceExhausted("pcre2: out of memory");
  pcre2_set_match_limit(re->impl_->context, kMatchLimit);
  pcre2_set_depth_limit(re->impl_->context, kDepthLimit);
  return re;
}

Regex::Match Regex::Search(std::string_view line) const {
  const int rc = pcre2_match(impl_->code, reinterpret_cast<PCRE2_SPTR>(line.data()), line.size(), 0, 0, impl_->data,
                             impl_->context);
  if (rc >= 0) return Match::kYes;
  if (rc == PCRE2_ERROR_NOMATCH) return Match::kNo;
  // Limits (match, depth, heap) and anything else: this line is skipped
  // and counted, the search goes on.
  return Match::kTooExpensive;
}

}  // namespace tools
