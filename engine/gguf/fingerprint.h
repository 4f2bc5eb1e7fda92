// Model fingerprint (DESIGN.md section 3.1): what a session records so it
// never resumes on different weights.
//
// The fingerprint is a 128-bit XXH3 over
//   - the metadata that changes what the model computes: general.architecture,
//     every `<arch>.*` hyperparameter, general.quantization_version (it once
//     changed block layouts under the same type ids), and the tokenizer's
//     identity (every `tokenizer.ggml.*` key: model, pre, tokens, scores,
//     token types, merges, special ids, add_bos/eos);
//   - every tensor: name, type, shape and all its bytes.
// Free text (general.name, author, license...), the chat template, the
// file_type label and the file layout (alignment, key order, tensor order,
// padding) are left out: rewriting a file, renaming a model or reordering
// its tensors keeps the fingerprint. Keys and tensors are hashed in name
// order, each field length-prefixed, so no two inputs share an encoding.
//
// Cost: one pass over the mapped tensor bytes, never copied. With a pool,
// tensors are hashed in parallel and their digests combined in name order,
// so the result does not depend on the pool.
//
// Threading: pure function of an immutable GgufFile.
#pragma once

#include <string>
#include <string_view>

#include "base/hash.h"
#include "base/status.h"
#include "base/thread_pool.h"
#include "engine/gguf/gguf.h"

namespace engine {

// The encoding version, hashed first; bump it when the encoding changes.
inline constexpr std::string_view kFingerprintDomain = "longhaul-model-fingerprint-v1";

// True when `key` takes part in the fingerprint of a model of `arch`.
bool IsFingerprintKey(std::string_view key, std::string_view arch);

// Fails only when general.architecture is missing or not a string.
// `pool` may be null (hash on the calling thread).
base::Result<base::Hash128Value> ModelFingerprint(const GgufFile& file, base::ThreadPool* pool = nullptr);

// The same, as 32 lowercase hex digits.
base::Result<std::string> ModelFingerprintHex(const GgufFile& file, base::ThreadPool* pool = nullptr);

}  // namespace engine
