"""Exits right after its first tools/list: a server that dies while idle.
Started again (which sends no tools/list), it serves calls."""
import sys

import mini_mcp


def on_message(message):
    if message.get("method") != "tools/list":
        return False
    mini_mcp.reply(message["id"], {"tools": [mini_mcp.ECHO_TOOL]})
    sys.exit(0)


def call(request_id, name, arguments):
    mini_mcp.reply(request_id, mini_mcp.text_result("back: " + arguments.get("message", "")))


mini_mcp.serve(call, on_message=on_message)
