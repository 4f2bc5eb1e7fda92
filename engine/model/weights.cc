#include "engine/model/weights.h"

#include "engine/quant/quant.h"

namespace engine {
namespace {

std::string ShapeOf(int64_t a, int64_t b) {
  return "[" + std::to_string(a) + (b ? ", " + std::to_string(b) : "") + "]";
}

class Binder {
 public:
  explicit Binder(const GgufFile& gguf) : gguf_(gguf) {}

  base::Result<WeightView> Matrix(const std::string& name, int64_t cols, int64_t rows) const {
    const TensorInfo* t = gguf_.FindTensor(name);
    if (!t) return base::InvalidArgument("model is missing tensor '" + name + "'");
    if (t->n_dims != 2 || t->ne[0] != cols || t->ne[1] != rows) {
      return base::InvalidArgument("tensor '" + name + "' has shape " + t->ShapeString() + ", expected " +
                                   ShapeOf(cols, rows));
    }
    if (!TraitsOf(t->type).compute_supported) {
      return base::Unsupported("tensor '" + name + "' has type " + std::string(TraitsOf(t->type).name) +
                               ", which longhaul cannot compute with (supported: f32, f16, bf16, q8_0, "
                               "q4_0, q4_K, q5_K, q6_K)");
    }
    return WeightView{t->type, t->data, rows, cols};
  }

  base::Result<std::vector<float>> Vector(const std::string& name, int64_t n) const {
    const TensorInfo* t = gguf_.FindTensor(name);
    if (!t) return base::InvalidArgument("model is missing tensor '" + name + "'");
    if (t->n_elements() != n || t->ne[0] != n) {
      return base::InvalidArgument("tensor '" + name + "' has shape " + t->ShapeString() + ", expected " +
                                   ShapeOf(n, 0));
    }
    if (!TraitsOf(t->type).compute_supported) {
      return base::Unsupported("tensor '" + name + "' has unsupported type " +
                               std::string(TraitsOf(t->type).name));
    }
    std::vector<float> out(static_cast<size_t>(n));
    DequantizeRow(t->type, t->data, out.data(), n);
    return out;
  }

  bool Has(const std::string& name) const { return gguf_.FindTensor(name) != nullptr; }
  const TensorInfo* Find(const std::string& name) const { return gguf_.FindTensor(name); }

 private:
  const GgufFile& gguf_;
};

}  // namespace

base::Result<ModelWeights> BindWeights(const GgufFile& gguf, HParams* hp) {
  Binder bind(gguf);
  ModelWeights w;
  const TensorInfo* embd = bind.Find("token_embd.weight");
  if (!embd) return base::InvalidArgument("model is missing tensor 'token_embd.weight'");
  if (embd->n_dims != 2 || embd->ne[0] != hp->n_embd) {
    return base::InvalidArgument("tensor 'token_embd.weight' has shape " + embd->ShapeString() +
                                 ", expected [n_embd=" + std::to_string(hp->n_embd) + ", n_vocab]");
  }
  hp->n_vocab = static_cast<int>(embd->ne[1]);
  ASSIGN_OR_RETURN(w.token_embd, bind.Matrix("token_embd.weight", hp->n_embd, hp->n_vocab));
  ASSIGN_OR_RETURN(w.output_norm, bind.Vector("output_norm.weight", hp->n_embd));
  if (bind.Has("output.weight")) {
    ASSIGN_OR_RETURN(w.output, bind.Matrix("output.weight", hp->n_embd, hp->n_vocab));
  } else {
    w.output = w.token_embd;
    w.tied_output = true;
  }

  const int64_t d = hp->n_embd, nq = hp->n_q(), nkv = hp->n_kv(), nff = hp->n_ff;
  w.layers.resize(static_cast<size_t>(hp->n_layer));
  for (int l = 0; l < hp->n_layer; ++l) {
    LayerWeights& L = w.layers[static_cast<size_t>(l)];
    const std::string b = "blk." + std::to_string(l) + ".";
    ASSIGN_OR_RETURN(L.attn_norm, bind.Vector(b + "attn_norm.weight", d));
    ASSIGN_OR_RETURN(L.wq, bind.Matrix(b + "attn_q.weight", d, nq));
    ASSIGN_OR_RETURN(L.wk, bind.Matrix(b + "attn_k.weight", d, nkv));
    ASSIGN_OR_RETURN(L.wv, bind.Matrix(b + "attn_v.weight", d, nkv));
    ASSIGN_OR_RETURN(L.wo, bind.Matrix(b + "attn_output.weight", nq, d));
    if (hp->qkv_bias) {
      ASSIGN_OR_RETURN(L.bq, bind.Vector(b + "attn_q.bias", nq));
      ASSIGN_OR_RETURN(L.bk, bind.Vector(b + "attn_k.bias", nkv));
      ASSIGN_OR_RETURN(L.bv, bind.Vector(b + "attn_v.bias", nkv));
    }
    if (hp->qk_norm) {
      ASSIGN_OR_RETURN(L.q_norm, bind.Vector(b + "attn_q_norm.weight", hp->head_dim));
      ASSIGN_OR_RETURN(L.k_norm, bind.Vector(b + "attn_k_norm.weight", hp->head_dim));
    }
    ASSIGN_OR_RETURN(L.ffn_norm, bind.Vector(b + "ffn_norm.weight", d));
    ASSIGN_OR_RETURN(L.w_gate, bind.Matrix(b + "ffn_gate.weight", d, nff));
    ASSIGN_OR_RETURN(L.w_up, bind.Matrix(b + "ffn_up.weight", d, nff));
    ASSIGN_OR_RETURN(L.w_down, bind.Matrix(b + "ffn_down.weight", nff, d));
  }
  return w;
}

}  // namespace engine
