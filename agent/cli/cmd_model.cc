// `longhaul model info FILE [--json]` and `longhaul model tiny ...`.
#include <cstdio>
#include <iomanip>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "agent/cli/command.h"
#include "engine/model_file.h"

namespace cli {
namespace {

struct InfoFlags {
  std::string path;
  bool json = false;
};

std::string ShapeString(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t d = 0; d < shape.size(); ++d) s += (d ? ", " : "") + std::to_string(shape[d]);
  return s + "]";
}

std::string HumanBytes(uint64_t n) {
  std::ostringstream out;
  if (n < 1024) {
    out << n << " B";
  } else {
    const char* unit = n < (1u << 20) ? "KiB" : n < (1u << 30) ? "MiB" : "GiB";
    const double div = n < (1u << 20) ? 1024.0 : n < (1u << 30) ? 1048576.0 : 1073741824.0;
    out << std::fixed << std::setprecision(1) << static_cast<double>(n) / div << " " << unit;
  }
  return out.str();
}

template <typename T>
nlohmann::json OrNull(const std::optional<T>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

template <typename T>
std::string OrDash(const std::optional<T>& v) {
  if (!v) return "-";
  std::ostringstream out;
  out << *v;
  return out.str();
}

nlohmann::json ToJson(const engine::ModelFileInfo& m) {
  nlohmann::json tensors = nlohmann::json::array();
  for (const engine::ModelTensorSummary& t : m.tensors) {
    tensors.push_back({{"name", t.name}, {"type", t.type}, {"shape", t.shape}, {"bytes", t.n_bytes},
                       {"offset", t.offset}});
  }
  return {
      {"path", m.path},
      {"file_size", m.file_size},
      {"gguf_version", m.gguf_version},
      {"alignment", m.alignment},
      {"n_metadata", m.n_metadata},
      {"architecture", m.architecture},
      {"name", m.name},
      {"file_type", m.file_type},
      {"fingerprint", m.fingerprint},
      {"hparams",
       {{"n_layer", OrNull(m.n_layer)},
        {"n_embd", OrNull(m.n_embd)},
        {"n_head", OrNull(m.n_head)},
        {"n_head_kv", OrNull(m.n_head_kv)},
        {"head_dim", OrNull(m.head_dim)},
        {"n_ff", OrNull(m.n_ff)},
        {"context_length", OrNull(m.context_length)},
        {"n_rot", OrNull(m.n_rot)},
        {"rope_freq_base", OrNull(m.rope_freq_base)},
        {"rope_scaling_type", OrNull(m.rope_scaling_type)},
        {"rope_scaling_factor", OrNull(m.rope_scaling_factor)},
        {"rope_scaling_original_context", OrNull(m.rope_scaling_original_context)},
        {"rms_norm_eps", OrNull(m.rms_norm_eps)}}},
      {"tokenizer",
       {{"model", m.tokenizer_model},
        {"pre", m.tokenizer_pre},
        {"vocab_size", m.vocab_size},
        {"n_merges", m.n_merges},
        {"bos_id", OrNull(m.bos_id)},
        {"eos_id", OrNull(m.eos_id)},
        {"has_chat_template", m.has_chat_template}}},
      {"n_params", m.n_params},
      {"tensor_bytes", m.tensor_bytes},
      {"tensors", tensors},
  };
}

void PrintTable(const engine::ModelFileInfo& m) {
  auto row = [](const std::string& k, const std::string& v) { std::cout << "  " << std::left << std::setw(16) << k << v << "\n"; };
  std::cout << m.path << ": " << HumanBytes(m.file_size) << " (" << m.file_size << " bytes), GGUF v" << m.gguf_version
            << ", alignment " << m.alignment << ", " << m.n_metadata << " metadata keys\n";
  row("architecture", m.architecture);
  row("name", m.name.empty() ? "-" : m.name);
  row("file type", m.file_type.empty() ? "-" : m.file_type);
  row("fingerprint", m.fingerprint);
  std::cout << "hyperparameters\n";
  row("n_layer", OrDash(m.n_layer));
  row("n_embd", OrDash(m.n_embd));
  row("n_head", OrDash(m.n_head));
  row("n_head_kv", OrDash(m.n_head_kv));
  row("head_dim", OrDash(m.head_dim));
  row("n_ff", OrDash(m.n_ff));
  row("context_length", OrDash(m.context_length));
  row("n_rot", OrDash(m.n_rot));
  row("rope_freq_base", m.rope_freq_base ? OrDash(m.rope_freq_base) : "- (llama.cpp default 10000)");
  std::string scaling = OrDash(m.rope_scaling_type);
  if (m.rope_scaling_factor) scaling += " x" + OrDash(m.rope_scaling_factor);
  if (m.rope_scaling_original_context) scaling += " (original context " + OrDash(m.rope_scaling_original_context) + ")";
  row("rope_scaling", scaling);
  row("rms_norm_eps", OrDash(m.rms_norm_eps));
  std::cout << "tokenizer\n";
  row("model", m.tokenizer_model.empty() ? "-" : m.tokenizer_model);
  row("pre", m.tokenizer_pre.empty() ? "-" : m.tokenizer_pre);
  row("vocab_size", std::to_string(m.vocab_size));
  row("merges", std::to_string(m.n_merges));
  row("bos / eos", OrDash(m.bos_id) + " / " + OrDash(m.eos_id));
  row("chat_template", m.has_chat_template ? "yes" : "no");

  std::map<std::string, int> type_counts;
  for (const engine::ModelTensorSummary& t : m.tensors) ++type_counts[t.type];
  std::string counts;
  for (const auto& [type, n] : type_counts) counts += (counts.empty() ? "" : ", ") + type + " x" + std::to_string(n);
  std::cout << "tensors: " << m.tensors.size() << " (" << counts << "), " << m.n_params << " parameters, "
            << HumanBytes(m.tensor_bytes) << "\n";
  size_t name_width = 4;
  for (const engine::ModelTensorSummary& t : m.tensors) name_width = std::max(name_width, t.name.size());
  std::cout << "  " << std::left << std::setw(static_cast<int>(name_width + 2)) << "name" << std::setw(6) << "type"
            << std::setw(22) << "shape" << "bytes\n";
  for (const engine::ModelTensorSummary& t : m.tensors) {
    std::cout << "  " << std::left << std::setw(static_cast<int>(name_width + 2)) << t.name << std::setw(6) << t.type
              << std::setw(22) << ShapeString(t.shape) << t.n_bytes << "\n";
  }
}

int RunInfo(const InfoFlags& f) {
  auto info = engine::DescribeModelFile(f.path);
  if (!info.ok()) return ReportError(info.status());
  if (f.json) {
    std::cout << ToJson(*info).dump(2) << "\n";
  } else {
    PrintTable(*info);
  }
  return kExitOk;
}

struct TinyFlags {
  engine::TinyModelSpec spec;
  std::string out;
  bool tied = false;
  bool untied = false;
  double rope_base = 0;
  double rms_eps = 0;
};

int RunTiny(TinyFlags f) {
  if (f.tied) f.spec.tie_embeddings = true;
  if (f.untied) f.spec.tie_embeddings = false;
  if (f.rope_base != 0) f.spec.rope_freq_base = f.rope_base;
  if (f.rms_eps != 0) f.spec.rms_norm_eps = f.rms_eps;
  base::Status s = engine::WriteTinyModel(f.spec, f.out);
  if (!s.ok()) {
    // A spec that cannot work is a usage error; anything else (I/O) is runtime.
    std::cerr << "error: " << s.ToString() << "\n";
    return s.code() == base::StatusCode::kInvalidArgument ? kExitUsage : kExitRuntimeError;
  }
  auto info = engine::DescribeModelFile(f.out);
  if (!info.ok()) return ReportError(info.status().WithContext("re-reading the written model"));
  std::cout << "wrote " << f.out << ": " << info->architecture << ", " << info->tensors.size() << " tensors, "
            << info->n_params << " parameters, " << info->file_size << " bytes, fingerprint " << info->fingerprint
            << "\n";
  return kExitOk;
}

void AddTinyOptions(CLI::App* tiny, TinyFlags* f) {
  engine::TinyModelSpec& s = f->spec;
  tiny->add_option("--arch", s.arch, "llama, qwen2 or qwen3")->check(CLI::IsMember({"llama", "qwen2", "qwen3"}))
      ->capture_default_str();
  tiny->add_option("--type", s.weight_type, "type of the 2-D weights (norms and biases stay f32)")
      ->check(CLI::IsMember({"f32", "f16", "bf16", "q8_0", "q4_0", "q4_k", "q5_k", "q6_k"}))
      ->capture_default_str();
  tiny->add_option("--layers", s.n_layer, "number of blocks")->capture_default_str();
  tiny->add_option("--embd", s.n_embd, "embedding width")->capture_default_str();
  tiny->add_option("--heads", s.n_head, "attention heads")->capture_default_str();
  tiny->add_option("--kv-heads", s.n_head_kv, "key/value heads (GQA)")->capture_default_str();
  tiny->add_option("--head-dim", s.head_dim, "per-head width (default embd/heads)");
  tiny->add_option("--ff", s.n_ff, "feed-forward width")->capture_default_str();
  tiny->add_option("--ctx", s.context_length, "trained context length")->capture_default_str();
  tiny->add_option("--vocab", s.n_vocab, "vocabulary size (default 512, or that of --vocab-from)");
  tiny->add_option("--seed", s.seed, "weight seed")->capture_default_str();
  tiny->add_option("--vocab-from", s.vocab_from, "copy tokenizer.* metadata from this GGUF")->check(CLI::ExistingFile);
  tiny->add_option("--rope-base", f->rope_base, "RoPE frequency base (default 10000 llama, 1e6 qwen)");
  tiny->add_option("--rms-eps", f->rms_eps, "RMSNorm epsilon (default 1e-5 llama, 1e-6 qwen)");
  tiny->add_option("--name", s.name, "general.name");
  CLI::Option* tied = tiny->add_flag("--tied", f->tied, "use token_embd as the output matrix (default for qwen)");
  CLI::Option* untied = tiny->add_flag("--untied", f->untied, "write a separate output.weight (default for llama)");
  tied->excludes(untied);
  tiny->add_option("--out,-o", f->out, "output GGUF path")->required();
}

}  // namespace

void RegisterModelCommands(CommandTable& table) {
  CLI::App* model = table.Add("model", "Inspect GGUF model files and make tiny test models", nullptr);

  auto info_flags = std::make_shared<InfoFlags>();
  CLI::App* info = model->add_subcommand("info", "Describe a GGUF model: hyperparameters, tokenizer, tensors");
  info->add_option("file", info_flags->path, "GGUF file")->required();
  info->add_flag("--json", info_flags->json, "print JSON instead of a table");
  table.Track(info, [info_flags] { return RunInfo(*info_flags); });

  auto tiny_flags = std::make_shared<TinyFlags>();
  CLI::App* tiny = model->add_subcommand("tiny", "Write a small model with deterministic random weights");
  AddTinyOptions(tiny, tiny_flags.get());
  table.Track(tiny, [tiny_flags] { return RunTiny(*tiny_flags); });
}

}  // namespace cli
