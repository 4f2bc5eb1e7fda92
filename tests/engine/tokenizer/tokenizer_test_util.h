// Helpers for the tokenizer tests: loading vocabularies from the reference
// data, reading the llama.cpp test-vector files, and building small GGUF
// files in memory.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "base/filesystem.h"
#include "engine/gguf/gguf.h"
#include "engine/tokenizer/tokenizer.h"

namespace tokenizer_test {

inline std::string ReadFileOrDie(const std::string& path) {
  auto r = base::DefaultFileSystem()->ReadFile(path);
  if (!r.ok()) return "<unreadable: " + r.status().ToString() + ">";
  return *r;
}

// A GGUF file and the tokenizer built from it.
struct Loaded {
  std::unique_ptr<engine::GgufFile> gguf;
  std::unique_ptr<engine::Tokenizer> tok;
  std::string error;  // non-empty when loading failed
};

inline Loaded LoadTokenizer(const std::string& path) {
  Loaded out;
  auto gguf = engine::GgufFile::Open(base::DefaultFileSystem(), path);
  if (!gguf.ok()) {
    out.error = gguf.status().ToString();
    return out;
  }
  out.gguf = std::move(gguf).value();
  auto tok = engine::Tokenizer::FromGguf(*out.gguf);
  if (!tok.ok()) {
    out.error = tok.status().ToString();
    return out;
  }
  out.tok = std::move(tok).value();
  return out;
}

// Splits on an exact separator; the piece after the last separator is kept.
inline std::vector<std::string> SplitOn(const std::string& s, std::string_view sep) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    const size_t at = s.find(sep, start);
    if (at == std::string::npos) {
      parts.push_back(s.substr(start));
      return parts;
    }
    parts.push_back(s.substr(start, at - start));
    start = at + sep.size();
  }
}

inline std::vector<int32_t> ParseIds(const std::string& line) {
  std::vector<int32_t> ids;
  std::istringstream in(line);
  long long v;
  while (in >> v) ids.push_back(static_cast<int32_t>(v));
  return ids;
}

// Builds a GGUF v3 file with metadata only.
class GgufBuilder {
 public:
  GgufBuilder& Str(std::string_view key, std::string_view v) { return Key(key, 8).String(v); }
  GgufBuilder& Bool(std::string_view key, bool v) { return Key(key, 7).Raw(&v, 1); }
  GgufBuilder& U32(std::string_view key, uint32_t v) { return Key(key, 4).Raw(&v, 4); }
  GgufBuilder& I32(std::string_view key, int32_t v) { return Key(key, 5).Raw(&v, 4); }
  GgufBuilder& Strs(std::string_view key, const std::vector<std::string>& v) {
    Key(key, 9).U32Raw(8).U64Raw(v.size());
    for (const std::string& s : v) String(s);
    return *this;
  }
  GgufBuilder& F32s(std::string_view key, const std::vector<float>& v) {
    Key(key, 9).U32Raw(6).U64Raw(v.size());
    for (float f : v) Raw(&f, 4);
    return *this;
  }
  GgufBuilder& I32s(std::string_view key, const std::vector<int32_t>& v) {
    Key(key, 9).U32Raw(5).U64Raw(v.size());
    for (int32_t x : v) Raw(&x, 4);
    return *this;
  }
  GgufBuilder& U32s(std::string_view key, const std::vector<uint32_t>& v) {
    Key(key, 9).U32Raw(4).U64Raw(v.size());
    for (uint32_t x : v) Raw(&x, 4);
    return *this;
  }

  // The file bytes; keep them alive while the parsed GgufFile is used.
  std::string Build() const {
    std::string out;
    auto put = [&](const void* p, size_t n) { out.append(static_cast<const char*>(p), n); };
    const uint32_t magic = 0x46554747, version = 3;
    const uint64_t n_tensors = 0, n_kv = n_kv_;
    put(&magic, 4);
    put(&version, 4);
    put(&n_tensors, 8);
    put(&n_kv, 8);
    out += body_;
    return out;
  }

 private:
  GgufBuilder& Key(std::string_view key, uint32_t type) {
    ++n_kv_;
    return String(key).U32Raw(type);
  }
  GgufBuilder& String(std::string_view s) {
    U64Raw(s.size());
    body_.append(s);
    return *this;
  }
  GgufBuilder& U32Raw(uint32_t v) { return Raw(&v, 4); }
  GgufBuilder& U64Raw(uint64_t v) { return Raw(&v, 8); }
  GgufBuilder& Raw(const void* p, size_t n) {
    body_.append(static_cast<const char*>(p), n);
    return *this;
  }
  std::string body_;
  uint64_t n_kv_ = 0;
};

// Parses `bytes` (kept alive by the caller) and builds a tokenizer.
inline base::Result<std::unique_ptr<engine::Tokenizer>> TokenizerFromBytes(const std::string& bytes,
                                                                           std::unique_ptr<engine::GgufFile>* gguf) {
  auto parsed = engine::GgufFile::Parse(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  if (!parsed.ok()) return parsed.status();
  *gguf = std::move(parsed).value();
  return engine::Tokenizer::FromGguf(**gguf);
}

}  // namespace tokenizer_test
