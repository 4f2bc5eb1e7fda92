// Tiny random models in llama.cpp's layout (see engine/model_file.h for
// the spec). Private to engine/: other modules call WriteTinyModel.
//
// Tensors, per arch (ne[0] first, the row length):
//   token_embd.weight        [n_embd, n_vocab]
//   output_norm.weight       [n_embd]
//   output.weight            [n_embd, n_vocab]        (absent when tied)
//   blk.N.attn_norm.weight   [n_embd]
//   blk.N.attn_q.weight      [n_embd, n_head*hd]
//   blk.N.attn_k.weight      [n_embd, n_head_kv*hd]
//   blk.N.attn_v.weight      [n_embd, n_head_kv*hd]
//   blk.N.attn_{q,k,v}.bias  [n_head*hd], [n_head_kv*hd] x2   (qwen2)
//   blk.N.attn_{q,k}_norm.weight [hd]                 (qwen3)
//   blk.N.attn_output.weight [n_head*hd, n_embd]
//   blk.N.ffn_norm.weight    [n_embd]
//   blk.N.ffn_gate.weight    [n_embd, n_ff]
//   blk.N.ffn_up.weight      [n_embd, n_ff]
//   blk.N.ffn_down.weight    [n_ff, n_embd]
// Values: matrices N(0, 1/ne[0]) so activations and logits stay O(1) at any
// width; norms exactly 1; biases N(0, 0.02^2). Each tensor draws from its
// own SplitMix64 stream seeded by (seed, name), so a tensor's values do not
// depend on which other tensors exist. 2-D weights get the chosen type
// ("pure", as llama-quantize --pure); norms and biases stay F32.
#pragma once

#include "base/filesystem.h"
#include "base/status.h"
#include "engine/gguf/gguf_writer.h"
#include "engine/model_file.h"

namespace engine::tiny {

// The whole model, its tensor bytes owned by the writer.
base::Result<GgufWriter> BuildTinyModel(base::FileSystem* fs, const TinyModelSpec& spec);

}  // namespace engine::tiny
