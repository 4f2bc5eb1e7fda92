// A loaded model: the mapped GGUF file plus everything derived from it.
//
// Immutable after Load and safe to share between threads and inference
// contexts (it is held by shared_ptr<const LoadedModel>).
#pragma once

#include <memory>
#include <string>

#include "base/filesystem.h"
#include "base/status.h"
#include "engine/gguf/gguf.h"
#include "engine/model/hparams.h"
#include "engine/model/weights.h"
#include "engine/tokenizer/tokenizer.h"

namespace engine {

class LoadedModel {
 public:
  // vocab_only: the tokenizer (and whatever hyperparameters the metadata
  // has) without binding weights, for vocabulary-only GGUF files.
  static base::Result<std::shared_ptr<const LoadedModel>> Load(base::FileSystem* fs, const std::string& path,
                                                              bool vocab_only = false);

  const std::string& path() const { return path_; }
  const GgufFile& gguf() const { return *gguf_; }
  const HParams& hparams() const { return hparams_; }
  const ModelWeights& weights() const { return weights_; }
  const Tokenizer& tokenizer() const { return *tokenizer_; }
  // DESIGN.md 3.1: hash of architecture metadata and tensor data, hex.
  const std::string& fingerprint() const { return fingerprint_; }
  bool vocab_only() const { return vocab_only_; }

 private:
  LoadedModel() = default;

  std::string path_;
  std::unique_ptr<GgufFile> gguf_;
  HParams hparams_;
  ModelWeights weights_;
  std::unique_ptr<Tokenizer> tokenizer_;
  std::string fingerprint_;
  bool vocab_only_ = false;
};

}  // namespace engine
