#include "engine/model/model.h"

#include "engine/gguf/fingerprint.h"

namespace engine {

base::Result<std::shared_ptr<const LoadedModel>> LoadedModel::Load(base::FileSystem* fs, const std::string& path,
                                                                   bool vocab_only) {
  std::shared_ptr<LoadedModel> model(new LoadedModel());
  model->path_ = path;
  model->vocab_only_ = vocab_only;
  ASSIGN_OR_RETURN(model->gguf_, GgufFile::Open(fs, path));
  if (vocab_only) {
    auto tokenizer = Tokenizer::FromGguf(*model->gguf_);
    if (!tokenizer.ok()) return tokenizer.status().WithContext(path);
    model->tokenizer_ = std::move(tokenizer).value();
    // Vocabulary files often carry an architecture's metadata too; use it
    // when it parses, and the tokenizer's size either way.
    if (auto hparams = ReadHParams(*model->gguf_); hparams.ok()) model->hparams_ = *hparams;
    model->hparams_.n_vocab = model->tokenizer_->n_vocab();
    if (auto fingerprint = ModelFingerprintHex(*model->gguf_); fingerprint.ok()) model->fingerprint_ = *fingerprint;
    return std::shared_ptr<const LoadedModel>(std::move(model));
  }
  auto hparams = ReadHParams(*model->gguf_);
  if (!hparams.ok()) return hparams.status().WithContext(path);
  model->hparams_ = *hparams;
  auto weights = BindWeights(*model->gguf_, &model->hparams_);
  if (!weights.ok()) return weights.status().WithContext(path);
  model->weights_ = std::move(weights).value();
  auto tokenizer = Tokenizer::FromGguf(*model->gguf_);
  if (!tokenizer.ok()) return tokenizer.status().WithContext(path);
  model->tokenizer_ = std::move(tokenizer).value();
  if (model->tokenizer_->n_vocab() != model->hparams_.n_vocab) {
    return base::InvalidArgument(path + ": tokenizer has " + std::to_string(model->tokenizer_->n_vocab()) +
                                 " tokens but token_embd has " + std::to_string(model->hparams_.n_vocab) +
                                 " rows");
  }
  auto fingerprint = ModelFingerprintHex(*model->gguf_);
  if (!fingerprint.ok()) return fingerprint.status().WithContext(path);
  model->fingerprint_ = std::move(fingerprint).value();
  return std::shared_ptr<const LoadedModel>(std::move(model));
}

}  // namespace engine
