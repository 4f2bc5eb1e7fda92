"""Just enough of an MCP stdio server for the plugin tests' peers.

serve() answers initialize, tools/list and tools/call (through the peer's
`call` function) in the 2025-11-25 handshake style, and everything else
with -32601. Each peer script bends one thing.
"""
import json
import sys


def send(message):
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def reply(request_id, result):
    send({"jsonrpc": "2.0", "id": request_id, "result": result})


def error(request_id, code, message):
    send({"jsonrpc": "2.0", "id": request_id, "error": {"code": code, "message": message}})


def text_result(text, is_error=False):
    return {"content": [{"type": "text", "text": text}], "isError": is_error}


ECHO_TOOL = {
    "name": "echo",
    "description": "Echoes its message.",
    "inputSchema": {"type": "object", "properties": {"message": {"type": "string"}}, "required": ["message"]},
    "annotations": {"readOnlyHint": True},
}


def serve(call, tools=(ECHO_TOOL,), on_message=None):
    """call(request_id, name, arguments) answers tools/call itself."""
    for raw in sys.stdin:
        raw = raw.strip()
        if not raw:
            continue
        message = json.loads(raw)
        if on_message is not None and on_message(message):
            continue
        method, request_id = message.get("method"), message.get("id")
        if request_id is None:
            continue  # a notification
        if method == "initialize":
            reply(request_id, {"protocolVersion": "2025-11-25", "capabilities": {"tools": {}},
                               "serverInfo": {"name": "test-peer", "version": "1"}})
        elif method == "tools/list":
            reply(request_id, {"tools": list(tools)})
        elif method == "tools/call":
            params = message.get("params", {})
            call(request_id, params.get("name"), params.get("arguments", {}))
        else:
            error(request_id, -32601, "Method not found")
