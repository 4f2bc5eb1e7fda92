# tools/mcp: plugin tools over MCP (stdio, JSON-RPC 2.0) and JSON manifests.
# The public face is tools/plugins.h; everything here is private to tools/.
target_sources(tools PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/content_text.cc
  ${CMAKE_CURRENT_LIST_DIR}/json_lines.cc
  ${CMAKE_CURRENT_LIST_DIR}/launch.cc
  ${CMAKE_CURRENT_LIST_DIR}/load_plugins.cc
  ${CMAKE_CURRENT_LIST_DIR}/manifest.cc
  ${CMAKE_CURRENT_LIST_DIR}/manifest_tool.cc
  ${CMAKE_CURRENT_LIST_DIR}/mcp_client.cc
  ${CMAKE_CURRENT_LIST_DIR}/mcp_tool.cc
  ${CMAKE_CURRENT_LIST_DIR}/plugin_config.cc
  ${CMAKE_CURRENT_LIST_DIR}/plugin_host.cc)
