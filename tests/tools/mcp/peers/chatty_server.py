"""A well-behaved but busy server: tools/list comes in two pages, and
before answering a call it sends a log notification, asks the client for
roots (which longhaul refuses) and pings it, and checks both answers."""
import json
import sys

import mini_mcp

TOOLS = [
    mini_mcp.ECHO_TOOL,
    {"name": "write_thing", "description": "Pretends to write.", "inputSchema": {"type": "object"}},
    {"name": "dotted.name/x", "description": "A name a model API would refuse.", "inputSchema": {}},
    {"name": "y" * 70, "description": "Too long once prefixed.", "inputSchema": {"type": "object"}},
]


def read_message():
    return json.loads(sys.stdin.readline())


def on_message(message):
    method, request_id = message.get("method"), message.get("id")
    if method == "tools/list":
        cursor = message.get("params", {}).get("cursor")
        if cursor is None:
            mini_mcp.reply(request_id, {"tools": TOOLS[:2], "nextCursor": "page-2"})
        else:
            mini_mcp.reply(request_id, {"tools": TOOLS[2:]})
        return True
    if method == "tools/call":
        mini_mcp.send({"jsonrpc": "2.0", "method": "notifications/message",
                       "params": {"level": "info", "data": "working"}})
        mini_mcp.send({"jsonrpc": "2.0", "id": "s1", "method": "roots/list"})
        roots = read_message()
        mini_mcp.send({"jsonrpc": "2.0", "id": "s2", "method": "ping"})
        pong = read_message()
        ok = roots.get("id") == "s1" and roots["error"]["code"] == -32601 and \
            pong.get("id") == "s2" and pong.get("result") == {}
        args = message.get("params", {}).get("arguments", {})
        text = "answers ok" if ok else "bad answers: %r %r" % (roots, pong)
        mini_mcp.reply(request_id, mini_mcp.text_result(text + "; " + json.dumps(args, sort_keys=True)))
        return True
    return False


mini_mcp.serve(None, on_message=on_message)
