// ContextKvState: the real engine behind the KvState seam.
#include "sessions/checkpoint/kv_state.h"

namespace sessions::internal {
namespace {

class ContextKv final : public KvState {
 public:
  ContextKv(const engine::Context* ctx, engine::Context* mutable_ctx) : ctx_(ctx), mutable_(mutable_ctx) {}

  std::string model_fingerprint() const override { return ctx_->model().Summary().fingerprint; }
  std::string policy_text() const override { return ctx_->kv_policy_text(); }
  int n_layers() const override { return ctx_->model().Summary().n_layer; }
  int64_t block_tokens() const override { return ctx_->kv_block_tokens(); }
  int64_t n_past() const override { return ctx_->n_past(); }
  int64_t closed_blocks(int layer) const override { return ctx_->kv_closed_blocks(layer); }
  base::Result<engine::KvBlock> ExportBlock(int layer, int64_t index) const override {
    return ctx_->ExportKvBlock(layer, index);
  }
  base::Result<std::string> ExportLiveState() const override { return ctx_->ExportKvLiveState(); }
  base::Status Restore(std::string_view live_state, const engine::KvBlockFetcher& fetch) override {
    if (mutable_ == nullptr) return base::Internal("restore into a read-only context view");
    return mutable_->RestoreKv(live_state, fetch);
  }
  engine::KvMark kv_mark() const override { return ctx_->kv_mark(); }
  int64_t unchanged_since(const engine::KvMark& mark) const override { return ctx_->kv_unchanged_since(mark); }

 private:
  const engine::Context* ctx_;
  engine::Context* mutable_;
};

}  // namespace

std::unique_ptr<KvState> ContextKvState(const engine::Context* ctx, engine::Context* mutable_ctx) {
  return std::make_unique<ContextKv>(ctx, mutable_ctx);
}

}  // namespace sessions::internal
