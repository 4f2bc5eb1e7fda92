"""Answers tools/call with one valid JSON line of about 300 KB."""
import mini_mcp


def call(request_id, name, arguments):
    mini_mcp.reply(request_id, mini_mcp.text_result("x" * 300000))


mini_mcp.serve(call)
