// `longhaul run` and `longhaul resume`: the agent on a repository, on a
// persistent session (agent/agent.h), headless or interactive.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "agent/agent.h"
#include "agent/cli/command.h"
#include "agent/cli/engine_flags.h"
#include "agent/cli/run_frontend.h"
#include "sessions/store.h"
#include "tools/plugins.h"
#include "tools/tool.h"

#ifndef LONGHAUL_SOURCE_DIR
#define LONGHAUL_SOURCE_DIR "."
#endif

namespace cli {
namespace {

struct RunFlags {
  EngineFlags engine;
  std::string repo;
  std::string session;  // run: the new session's name; resume: the session
  std::string prompt;
  std::string data_dir;
  bool json = false;
  int max_steps = 20;
  int max_reply_tokens = 1024;
  std::string approve = "auto";
  std::string tool_choice = "auto";
  std::string tool_syntax;  // empty: from the template
  bool allow_degraded_sandbox = false;
  bool no_plugins = false;
  bool compare_prefill = false;
  engine::SamplerParams sampling;
};

base::Result<agent::ToolChoice> ParseChoice(const std::string& s) {
  if (s == "auto") return agent::ToolChoice::kAuto;
  if (s == "required") return agent::ToolChoice::kRequired;
  if (s == "none") return agent::ToolChoice::kNone;
  return base::InvalidArgument("--tool-choice must be auto, required or none, not '" + s + "'");
}

int RunAgent(RunFlags f, bool resume) {
  const std::string data_dir = f.data_dir.empty() ? sessions::DefaultDataDir() : f.data_dir;
  if (data_dir.empty()) return ReportError(base::InvalidArgument("no data directory: pass --data-dir DIR"));
  auto store = sessions::Store::Open({.data_dir = data_dir});
  if (!store.ok()) return ReportError(store.status());
  if (resume) {
    auto info = (*store)->Find(f.session);
    if (!info.ok()) return ReportError(info.status());
    if (f.repo.empty()) f.repo = info->repo;
    if (f.engine.model_path.empty()) f.engine.model_path = info->model_path;
    // The session keeps its KV policy unless the user chose one.
    if (f.engine.kv == "auto" && f.engine.kv_options.empty()) f.engine.kv = info->policy;
  }
  if (f.engine.model_path.empty()) f.engine.model_path = LONGHAUL_SOURCE_DIR "/examples/models/stories260K.gguf";
  if (f.engine.ctx == 0) f.engine.ctx = 16384;

  auto choice = ParseChoice(f.tool_choice);
  if (!choice.ok()) return ReportError(choice.status());
  auto model = LoadModel(f.engine);
  if (!model.ok()) return ReportError(model.status());
  auto ctx = MakeContext(*model, f.engine);
  if (!ctx.ok()) return ReportError(ctx.status());

  agent::AgentOptions o;
  o.context = std::move(*ctx);
  o.store = store->get();
  o.repo = f.repo.empty() ? "." : f.repo;
  if (resume) o.resume = f.session;
  else o.session_name = f.session;
  o.model_path = f.engine.model_path;
  o.tool_choice = *choice;
  o.approval = f.approve == "ask" ? agent::ApprovalMode::kAsk : agent::ApprovalMode::kAuto;
  o.sampling = f.sampling;
  o.allow_degraded_sandbox = f.allow_degraded_sandbox;
  o.max_steps = f.max_steps;
  o.max_reply_tokens = f.max_reply_tokens;
  if (!f.tool_syntax.empty()) {
    if (f.tool_syntax == "hermes") o.tool_syntax = engine::ToolCallSyntax::kHermes;
    else if (f.tool_syntax == "llama3_json") o.tool_syntax = engine::ToolCallSyntax::kLlama3Json;
    else return ReportError(base::InvalidArgument("--tool-syntax must be hermes or llama3_json"));
  }
  if (resume && f.compare_prefill) {
    auto scratch = MakeContext(*model, f.engine);
    if (!scratch.ok()) return ReportError(scratch.status());
    o.reprefill_context = std::move(*scratch);
  }
  if (!f.no_plugins) {
    // Plugin tools join the built-in ones; a plugin that fails to start is
    // named and left out, the session goes on without it.
    std::error_code ec;
    tools::PluginOptions po;
    po.repo_root = std::filesystem::weakly_canonical(std::filesystem::absolute(o.repo, ec), ec).string();
    po.user_config_path = tools::DefaultUserPluginConfigPath();
    po.allow_degraded_sandbox = f.allow_degraded_sandbox;
    auto plugins = tools::LoadPlugins(po);
    if (!plugins.ok()) {
      std::fprintf(stderr, "warning: plugins not loaded: %s\n", plugins.status().ToString().c_str());
    } else {
      for (const std::string& w : plugins->warnings) std::fprintf(stderr, "warning: plugin: %s\n", w.c_str());
      if (!plugins->tools.empty()) {
        for (auto& t : tools::BuiltinTools()) o.tools.push_back(std::move(t));
        for (auto& t : plugins->tools) o.tools.push_back(std::move(t));
      }
    }
  }
  auto agent = agent::Agent::Start(std::move(o));
  if (!agent.ok()) return ReportError(agent.status());

  FrontendOptions fo;
  fo.json = f.json;
  fo.color = !f.json && isatty(STDOUT_FILENO) && std::getenv("NO_COLOR") == nullptr;
  fo.progress = !f.json && isatty(STDERR_FILENO);
  fo.data_dir = data_dir;
  return RunFrontend(agent->get(), f.prompt, fo);
}

void AddRunFlags(CLI::App* app, RunFlags* f) {
  AddEngineFlags(app, &f->engine, /*model_required=*/false);
  app->add_option("-p,--prompt", f->prompt, "run this one message headless, then exit");
  app->add_option("--data-dir", f->data_dir, "session store directory (default: $XDG_DATA_HOME/longhaul)");
  app->add_flag("--json", f->json, "one JSON event per line on stdout");
  app->add_option("--max-steps", f->max_steps, "model replies per message")->check(CLI::PositiveNumber);
  app->add_option("--max-reply-tokens", f->max_reply_tokens, "tokens per reply")->check(CLI::PositiveNumber);
  app->add_option("--approve", f->approve, "auto: run every tool; ask: confirm mutating ones")
      ->check(CLI::IsMember({"auto", "ask"}));
  app->add_option("--tool-choice", f->tool_choice, "auto, required (every reply calls a tool) or none")
      ->check(CLI::IsMember({"auto", "required", "none"}));
  app->add_option("--tool-syntax", f->tool_syntax, "hermes or llama3_json (default: from the chat template)")
      ->check(CLI::IsMember({"hermes", "llama3_json"}));
  app->add_flag("--allow-degraded-sandbox", f->allow_degraded_sandbox,
                "run commands with whatever sandbox layers the kernel has (they are still reported)");
  app->add_flag("--no-plugins", f->no_plugins,
                "do not start the plugins of .longhaul/plugins.json and the user's plugins.json");
  app->add_option("--temp", f->sampling.temperature, "temperature (0: greedy)");
  app->add_option("--top-k", f->sampling.top_k, "top-k (0: off)");
  app->add_option("--top-p", f->sampling.top_p, "top-p (1: off)");
  app->add_option("--min-p", f->sampling.min_p, "min-p (0: off)");
  app->add_option("-s,--seed", f->sampling.seed, "random seed (a resumed session keeps its own RNG state)");
}

}  // namespace

void RegisterRunCommands(CommandTable& table) {
  auto run = std::make_shared<RunFlags>();
  CLI::App* app = table.Add("run", "Run the agent on a repository (a new persistent session)",
                            [run] { return RunAgent(*run, /*resume=*/false); });
  AddRunFlags(app, run.get());
  app->add_option("--repo", run->repo, "the repository the tools work in (default: .)");
  app->add_option("--session", run->session, "a name for the new session");

  auto resume = std::make_shared<RunFlags>();
  CLI::App* rapp = table.Add("resume", "Resume an agent session from its last checkpoint (no prefill)",
                             [resume] { return RunAgent(*resume, /*resume=*/true); });
  AddRunFlags(rapp, resume.get());
  rapp->add_option("session", resume->session, "session name or id")->required();
  rapp->add_option("--repo", resume->repo, "override the session's repository");
  rapp->add_flag("--compare-prefill", resume->compare_prefill,
                 "also time a re-prefill of the restored tokens, to set beside the restore time");
}

}  // namespace cli
