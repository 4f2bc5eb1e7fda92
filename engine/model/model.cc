#include "engine/model/model.h"

#include "engine/gguf/fingerprint.h"

namespace engine {

base::Result<std::shared_ptr<const LoadedModel>> LoadedModel::Load(base::FileSystem* fs,
                                                                   const std::string& path) {
  std::shared_ptr<LoadedModel> model(new LoadedModel());
  model->path_ = path;
  ASSIGN_OR_RETURN(model->gguf_, GgufFile::Open(fs, path));
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
