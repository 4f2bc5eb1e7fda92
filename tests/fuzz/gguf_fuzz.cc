// libFuzzer target for the GGUF reader (engine/gguf/gguf.h).
//
// Parses arbitrary bytes; when they parse, reads every metadata value and
// every tensor byte (under ASan, any read outside the input is a crash),
// computes the fingerprint, and checks that writing the file back is a
// fixed point: copy -> serialize -> parse -> copy -> serialize gives the
// same bytes. Any violated invariant aborts, which libFuzzer reports.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "engine/gguf/fingerprint.h"
#include "engine/gguf/gguf.h"
#include "engine/gguf/gguf_writer.h"

namespace {

void Require(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "gguf_fuzz invariant violated: %s\n", what);
    std::abort();
  }
}

uint64_t TouchValue(const engine::GgufValue& v) {
  uint64_t sink = v.u ^ static_cast<uint64_t>(v.i) ^ v.str.size() ^ v.file_offset;
  for (char c : v.str) sink += static_cast<uint8_t>(c);
  if (auto i = v.AsInt()) sink += static_cast<uint64_t>(*i);
  if (auto d = v.AsDouble()) sink += *d > 0 ? 1 : 0;
  if (!v.is_array()) return sink;
  if (v.array_type == engine::GgufType::kString) {
    Require(v.strings.size() == v.array_count, "string array count");
    for (std::string_view s : v.strings) {
      for (char c : s) sink += static_cast<uint8_t>(c);
    }
  } else if (v.array_type != engine::GgufType::kArray) {
    for (uint64_t k = 0; k < v.array_count; ++k) {
      sink += static_cast<uint64_t>(v.ArrayInt(k));
      sink += v.ArrayNumber(k) > 0 ? 1 : 0;
    }
  }
  return sink;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto parsed = engine::GgufFile::Parse(data, size);
  if (!parsed.ok()) {
    Require(!parsed.status().message().empty(), "an error has a message");
    return 0;
  }
  const engine::GgufFile& file = **parsed;
  volatile uint64_t sink = 0;
  for (const auto& [key, value] : file.metadata()) sink = sink + key.size() + TouchValue(value);
  for (const engine::TensorInfo& t : file.tensors()) {
    Require(t.data >= data && t.n_bytes <= size && t.data - data <= static_cast<ptrdiff_t>(size - t.n_bytes),
            "tensor data inside the input");
    uint64_t sum = 0;
    for (uint64_t i = 0; i < t.n_bytes; ++i) sum += t.data[i];
    sink = sink + sum + static_cast<uint64_t>(t.n_elements());
  }
  auto fp = engine::ModelFingerprint(file);
  if (fp.ok()) sink = sink + fp->low;

  // Writing back is a fixed point after one normalizing pass (bools become
  // 0/1, offsets become contiguous).
  auto copy = engine::CopyGguf(file);
  if (!copy.ok()) return 0;  // e.g. nested arrays, which the reader does not keep
  const std::string once = copy->Serialize();
  Require(once.size() == copy->FileSize(), "FileSize matches Serialize");
  auto reparsed = engine::GgufFile::Parse(reinterpret_cast<const uint8_t*>(once.data()), once.size());
  Require(reparsed.ok(), "our own output parses");
  Require((*reparsed)->tensors().size() == file.tensors().size(), "tensor count survives");
  Require((*reparsed)->metadata().size() == file.metadata().size(), "key count survives");
  auto fp2 = engine::ModelFingerprint(**reparsed);
  Require(fp.ok() == fp2.ok() && (!fp.ok() || *fp == *fp2), "rewriting keeps the fingerprint");
  auto copy2 = engine::CopyGguf(**reparsed);
  Require(copy2.ok(), "our own output copies");
  Require(copy2->Serialize() == once, "rewrite is a fixed point");
  return 0;
}
