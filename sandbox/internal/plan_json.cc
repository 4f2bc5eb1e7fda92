#include "sandbox/internal/plan_json.h"

#include <nlohmann/json.hpp>

#include <stdexcept>

namespace sandbox::internal {
namespace {

using nlohmann::json;

json LayersToJson(const std::vector<LayerStatus>& layers) {
  json out = json::array();
  for (const LayerStatus& s : layers) {
    out.push_back({{"layer", LayerName(s.layer)},
                   {"state", LayerStateName(s.state)},
                   {"required", s.required},
                   {"detail", s.detail}});
  }
  return out;
}

// nlohmann throws on a type mismatch; everything below runs inside one
// try block in PlanFromJson, and unknown enum names throw the same way.
[[noreturn]] void Bad(const std::string& what) { throw std::invalid_argument(what); }

Layer LayerFrom(const json& j) {
  auto layer = ParseLayerName(j.get<std::string>());
  if (!layer) Bad("unknown layer " + j.dump());
  return *layer;
}

LayerState StateFrom(const json& j) {
  std::string name = j.get<std::string>();
  for (LayerState s : {LayerState::kActive, LayerState::kNotNeeded, LayerState::kUnavailable}) {
    if (LayerStateName(s) == name) return s;
  }
  Bad("unknown layer state " + name);
}

LaunchPlan FromJson(const json& j) {
  LaunchPlan p;
  p.argv = j.at("argv").get<std::vector<std::string>>();
  p.env = j.at("env").get<std::vector<std::string>>();
  p.cwd = j.at("cwd").get<std::string>();
  const json& ns = j.at("namespaces");
  p.namespaces.user = ns.at("user").get<bool>();
  p.namespaces.mount = ns.at("mount").get<bool>();
  p.namespaces.pid = ns.at("pid").get<bool>();
  p.namespaces.net = ns.at("net").get<bool>();
  p.namespaces.ipc = ns.at("ipc").get<bool>();
  p.namespaces.uts = ns.at("uts").get<bool>();
  p.hostname = j.at("hostname").get<std::string>();
  p.loopback_up = j.at("loopback_up").get<bool>();
  for (const json& m : j.at("mounts")) {
    auto kind = ParseMountKind(m.at("kind").get<std::string>());
    if (!kind) Bad("unknown mount kind " + m.at("kind").dump());
    p.mounts.push_back({*kind, m.at("target").get<std::string>(), m.at("size").get<uint64_t>(),
                        m.at("optional").get<bool>()});
  }
  const json& ll = j.at("landlock");
  p.landlock.abi = ll.at("abi").get<int>();
  p.landlock.handled_fs = ll.at("handled_fs").get<uint64_t>();
  p.landlock.handled_net = ll.at("handled_net").get<uint64_t>();
  p.landlock.scoped = ll.at("scoped").get<uint64_t>();
  for (const json& r : ll.at("rules")) {
    p.landlock.rules.push_back({r.at("path").get<std::string>(), r.at("access").get<uint64_t>(),
                                r.at("optional").get<bool>()});
  }
  const json& sc = j.at("seccomp");
  p.seccomp.enabled = sc.at("enabled").get<bool>();
  for (const json& d : sc.at("deny")) {
    p.seccomp.deny.push_back({d.at("syscall").get<std::string>(), d.at("errno").get<int>()});
  }
  p.seccomp.deny_namespace_clone = sc.at("deny_namespace_clone").get<bool>();
  p.seccomp.clone3_errno = sc.at("clone3_errno").get<int>();
  p.seccomp.deny_tty_injection = sc.at("deny_tty_injection").get<bool>();
  for (const json& r : j.at("rlimits")) {
    p.rlimits.push_back({r.at("resource").get<std::string>(), r.at("soft").get<uint64_t>(),
                         r.at("hard").get<uint64_t>()});
  }
  p.pid_max = j.at("pid_max").get<uint64_t>();
  p.pid_max_required = j.at("pid_max_required").get<bool>();
  p.drop_capabilities = j.at("drop_capabilities").get<bool>();
  p.no_new_privs = j.at("no_new_privs").get<bool>();
  for (const json& s : j.at("layers")) {
    p.layers.push_back({LayerFrom(s.at("layer")), StateFrom(s.at("state")),
                        s.at("required").get<bool>(), s.at("detail").get<std::string>()});
  }
  return p;
}

}  // namespace

std::string PlanToJson(const LaunchPlan& p) {
  json j;
  j["argv"] = p.argv;
  j["env"] = p.env;
  j["cwd"] = p.cwd;
  j["namespaces"] = {{"user", p.namespaces.user}, {"mount", p.namespaces.mount},
                     {"pid", p.namespaces.pid},   {"net", p.namespaces.net},
                     {"ipc", p.namespaces.ipc},   {"uts", p.namespaces.uts}};
  j["hostname"] = p.hostname;
  j["loopback_up"] = p.loopback_up;
  j["mounts"] = json::array();
  for (const MountStep& m : p.mounts) {
    j["mounts"].push_back({{"kind", MountKindName(m.kind)},
                           {"target", m.target},
                           {"size", m.size_bytes},
                           {"optional", m.optional}});
  }
  json rules = json::array();
  for (const LandlockRule& r : p.landlock.rules) {
    rules.push_back({{"path", r.path}, {"access", r.access}, {"optional", r.optional}});
  }
  j["landlock"] = {{"abi", p.landlock.abi},
                   {"handled_fs", p.landlock.handled_fs},
                   {"handled_net", p.landlock.handled_net},
                   {"scoped", p.landlock.scoped},
                   {"rules", rules}};
  json deny = json::array();
  for (const SeccompDeny& d : p.seccomp.deny) {
    deny.push_back({{"syscall", d.syscall}, {"errno", d.errno_value}});
  }
  j["seccomp"] = {{"enabled", p.seccomp.enabled},
                  {"deny", deny},
                  {"deny_namespace_clone", p.seccomp.deny_namespace_clone},
                  {"clone3_errno", p.seccomp.clone3_errno},
                  {"deny_tty_injection", p.seccomp.deny_tty_injection}};
  j["rlimits"] = json::array();
  for (const RlimitSetting& r : p.rlimits) {
    j["rlimits"].push_back({{"resource", r.resource}, {"soft", r.soft}, {"hard", r.hard}});
  }
  j["pid_max"] = p.pid_max;
  j["pid_max_required"] = p.pid_max_required;
  j["drop_capabilities"] = p.drop_capabilities;
  j["no_new_privs"] = p.no_new_privs;
  j["layers"] = LayersToJson(p.layers);
  // Paths and arguments are bytes, not necessarily UTF-8; replace rather
  // than throw (such a plan then fails loudly at exec, never silently).
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

base::Result<LaunchPlan> PlanFromJson(std::string_view text) {
  try {
    return FromJson(json::parse(text));
  } catch (const std::exception& e) {
    return base::InvalidArgument(std::string("sandbox: malformed launch plan: ") + e.what());
  }
}

}  // namespace sandbox::internal
