#include "tools/mcp/content_text.h"

namespace tools::mcp {
namespace {

std::string StringField(const nlohmann::json& item, const char* key) {
  auto it = item.find(key);
  return it != item.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// Base64 text of `n` characters holds about 3/4 as many bytes.
std::string BinaryNote(const char* kind, const nlohmann::json& item, const char* data_key) {
  std::string mime = StringField(item, "mimeType");
  size_t bytes = StringField(item, data_key).size() / 4 * 3;
  return std::string("[") + kind + (mime.empty() ? "" : " " + mime) + ", about " + std::to_string(bytes) +
         " bytes; not shown]";
}

std::string RenderItem(const nlohmann::json& item) {
  if (!item.is_object()) return "[malformed content item: " + item.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "]";
  const std::string type = StringField(item, "type");
  if (type == "text") return StringField(item, "text");
  if (type == "image") return BinaryNote("image", item, "data");
  if (type == "audio") return BinaryNote("audio", item, "data");
  if (type == "resource_link") {
    std::string name = StringField(item, "name");
    std::string line = "[resource link: " + (name.empty() ? std::string() : name + " ") + "<" +
                       StringField(item, "uri") + ">]";
    std::string description = StringField(item, "description");
    return description.empty() ? line : line + " " + description;
  }
  if (type == "resource") {
    auto res = item.find("resource");
    if (res == item.end() || !res->is_object()) return "[malformed embedded resource]";
    const std::string uri = StringField(*res, "uri");
    if (res->contains("text")) return "[resource <" + uri + ">]\n" + StringField(*res, "text");
    return "[resource <" + uri + ">] " + BinaryNote("blob", *res, "blob");
  }
  return "[content of type \"" + type + "\" not shown]";
}

}  // namespace

std::string RenderCallResult(const nlohmann::json& result) {
  std::string text;
  auto content = result.find("content");
  if (content != result.end() && content->is_array()) {
    for (const nlohmann::json& item : *content) {
      if (!text.empty() && text.back() != '\n') text += '\n';
      text += RenderItem(item);
    }
  }
  if (text.empty()) {
    auto structured = result.find("structuredContent");
    if (structured != result.end() && !structured->is_null()) {
      text = structured->dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
    }
  }
  return text.empty() ? "(no output)" : text;
}

}  // namespace tools::mcp
