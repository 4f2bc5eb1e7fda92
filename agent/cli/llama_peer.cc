#include "agent/cli/llama_peer.h"

#include <dlfcn.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <optional>

namespace cli {

// llama.cpp's parameter structs are passed and returned by value. Both
// exceed 16 bytes, so the x86-64 ABI passes them in memory: a larger,
// aligned buffer whose prefix is the real struct is ABI-compatible. Only
// llama_context_params' leading fields are written (n_ctx, n_batch, stable
// since 2024 and in the pinned release); threads are set through
// llama_set_n_threads.
struct Opaque {
  alignas(16) unsigned char bytes[2048];
};

struct LlamaPeerApi {
  Opaque (*model_default_params)() = nullptr;
  void* (*model_load)(const char*, Opaque) = nullptr;
  void (*model_free)(void*) = nullptr;
  int32_t (*model_n_layer)(const void*) = nullptr;
  int32_t (*model_n_embd)(const void*) = nullptr;
  int32_t (*model_desc)(const void*, char*, size_t) = nullptr;
  const void* (*model_get_vocab)(const void*) = nullptr;
  int32_t (*vocab_n_tokens)(const void*) = nullptr;
  int32_t (*tokenize)(const void*, const char*, int32_t, int32_t*, int32_t, bool, bool) = nullptr;
  Opaque (*context_default_params)() = nullptr;
  void* (*init_from_model)(void*, Opaque) = nullptr;
  void (*free_context)(void*) = nullptr;
  void (*set_n_threads)(void*, int32_t, int32_t) = nullptr;
  Opaque (*batch_get_one)(int32_t*, int32_t) = nullptr;
  int32_t (*decode)(void*, Opaque) = nullptr;
  float* (*get_logits_ith)(void*, int32_t) = nullptr;
};

namespace {

std::string g_log;  // llama.cpp's log since the last clear, for error messages

void CaptureLog(int /*level*/, const char* text, void* /*user*/) {
  if (g_log.size() < 16384) g_log += text;
}

std::optional<std::string> FindLibrary(const std::string& dir, const std::string& prefix) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.starts_with(prefix) && name.ends_with(".so")) return entry.path().string();
  }
  return std::nullopt;
}

template <typename F>
bool Bind(void* lib, const char* name, F* fn) {
  *fn = reinterpret_cast<F>(dlsym(lib, name));
  return *fn != nullptr;
}

std::string DefaultDir() {
  const char* env = std::getenv("LONGHAUL_LLAMA_CPP_DIR");
  if (env != nullptr && *env != '\0') return env;
  return std::string(LONGHAUL_SOURCE_DIR) + "/third_party/npm/@node-llama-cpp/linux-x64/bins/linux-x64";
}

base::Result<const LlamaPeerApi*> LoadApi(const std::string& dir) {
  auto ggml_path = FindLibrary(dir, "libggml.");
  auto llama_path = FindLibrary(dir, "libllama.");
  if (!ggml_path || !llama_path) {
    return base::NotFound("llama.cpp peer: no libggml.*.so / libllama.*.so in " + dir +
                          " (run scripts/fetch-npm.sh or set LONGHAUL_LLAMA_CPP_DIR)");
  }
  void* ggml = dlopen(ggml_path->c_str(), RTLD_NOW | RTLD_GLOBAL);
  void* llama = ggml ? dlopen(llama_path->c_str(), RTLD_NOW | RTLD_GLOBAL) : nullptr;
  if (llama == nullptr) return base::FailedPrecondition(std::string("llama.cpp peer: dlopen failed: ") + dlerror());
  auto* api = new LlamaPeerApi;  // lives as long as the libraries: the process
  void (*load_all_from_path)(const char*) = nullptr;
  void (*backend_init)() = nullptr;
  void (*log_set)(void (*)(int, const char*, void*), void*) = nullptr;
  const bool bound =
      Bind(ggml, "ggml_backend_load_all_from_path", &load_all_from_path) &&
      Bind(llama, "llama_backend_init", &backend_init) && Bind(llama, "llama_log_set", &log_set) &&
      Bind(llama, "llama_model_default_params", &api->model_default_params) &&
      Bind(llama, "llama_model_load_from_file", &api->model_load) && Bind(llama, "llama_model_free", &api->model_free) &&
      Bind(llama, "llama_model_n_layer", &api->model_n_layer) && Bind(llama, "llama_model_n_embd", &api->model_n_embd) &&
      Bind(llama, "llama_model_desc", &api->model_desc) && Bind(llama, "llama_model_get_vocab", &api->model_get_vocab) &&
      Bind(llama, "llama_vocab_n_tokens", &api->vocab_n_tokens) && Bind(llama, "llama_tokenize", &api->tokenize) &&
      Bind(llama, "llama_context_default_params", &api->context_default_params) &&
      Bind(llama, "llama_init_from_model", &api->init_from_model) && Bind(llama, "llama_free", &api->free_context) &&
      Bind(llama, "llama_set_n_threads", &api->set_n_threads) &&
      Bind(llama, "llama_batch_get_one", &api->batch_get_one) && Bind(llama, "llama_decode", &api->decode) &&
      Bind(llama, "llama_get_logits_ith", &api->get_logits_ith);
  if (!bound) {
    delete api;
    return base::FailedPrecondition("llama.cpp peer: " + *llama_path + " lacks an expected C API symbol");
  }
  log_set(CaptureLog, nullptr);
  load_all_from_path(dir.c_str());  // the CPU backend lives in its own library
  backend_init();
  return api;
}

}  // namespace

base::Result<LlamaPeer> LlamaPeer::Load(const std::string& dir_in) {
  // dlopen'ed libraries and llama.cpp's backend registry are process-wide:
  // load once, whatever directory later callers name.
  static std::once_flag once;
  static base::Result<const LlamaPeerApi*> loaded = base::Internal("unset");
  static std::string loaded_dir;
  std::call_once(once, [&] {
    loaded_dir = dir_in.empty() ? DefaultDir() : dir_in;
    loaded = LoadApi(loaded_dir);
  });
  if (!loaded.ok()) return loaded.status();
  LlamaPeer peer;
  peer.api_ = *loaded;
  peer.dir_ = loaded_dir;
  return peer;
}

base::Result<std::unique_ptr<LlamaSession>> LlamaPeer::Open(const std::string& model_path,
                                                           const LlamaSessionOptions& options) const {
  g_log.clear();
  std::unique_ptr<LlamaSession> s(new LlamaSession);
  s->api_ = api_;
  s->options_ = options;
  s->model_ = api_->model_load(model_path.c_str(), api_->model_default_params());
  if (s->model_ == nullptr) return base::InvalidArgument("llama.cpp could not load " + model_path + ":\n" + g_log);
  RETURN_IF_ERROR(s->Reset());
  return s;
}

LlamaSession::~LlamaSession() {
  if (ctx_ != nullptr) api_->free_context(ctx_);
  if (model_ != nullptr) api_->model_free(model_);
}

base::Status LlamaSession::Reset() {
  if (ctx_ != nullptr) api_->free_context(ctx_);
  Opaque params = api_->context_default_params();
  std::memcpy(params.bytes + 0, &options_.n_ctx, 4);    // n_ctx
  std::memcpy(params.bytes + 4, &options_.n_batch, 4);  // n_batch
  g_log.clear();
  ctx_ = api_->init_from_model(model_, params);
  if (ctx_ == nullptr) return base::Internal("llama.cpp could not create a context:\n" + g_log);
  api_->set_n_threads(ctx_, options_.n_threads, options_.n_threads);
  return base::Status::Ok();
}

std::string LlamaSession::description() const {
  char desc[256] = {};
  api_->model_desc(model_, desc, sizeof desc);
  return desc;
}
int LlamaSession::n_layer() const { return api_->model_n_layer(model_); }
int LlamaSession::n_embd() const { return api_->model_n_embd(model_); }
int LlamaSession::n_vocab() const { return api_->vocab_n_tokens(api_->model_get_vocab(model_)); }

base::Result<std::vector<int32_t>> LlamaSession::Tokenize(const std::string& text, bool add_special,
                                                          bool parse_special) const {
  std::vector<int32_t> ids(text.size() + 16);
  const int32_t n = api_->tokenize(api_->model_get_vocab(model_), text.data(), static_cast<int32_t>(text.size()),
                                   ids.data(), static_cast<int32_t>(ids.size()), add_special, parse_special);
  if (n < 0) return base::Internal("llama.cpp tokenize failed (" + std::to_string(n) + ")");
  ids.resize(static_cast<size_t>(n));
  return ids;
}

base::Status LlamaSession::Decode(std::span<const int32_t> tokens) {
  // llama_batch_get_one takes a non-const pointer but only reads it.
  std::vector<int32_t> copy(tokens.begin(), tokens.end());
  const int32_t rc = api_->decode(ctx_, api_->batch_get_one(copy.data(), static_cast<int32_t>(copy.size())));
  if (rc != 0) return base::Internal("llama_decode returned " + std::to_string(rc));
  return base::Status::Ok();
}

std::span<const float> LlamaSession::Logits() const {
  const float* logits = api_->get_logits_ith(ctx_, -1);
  return {logits, static_cast<size_t>(n_vocab())};
}

}  // namespace cli
