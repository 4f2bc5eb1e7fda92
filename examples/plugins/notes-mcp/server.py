#!/usr/bin/env python3
"""notes: a tiny MCP server over stdio, with no dependencies.

It keeps notes in NOTES.md at the root of the repository (its working
directory) and offers two tools: add_note (changes the repository) and
list_notes (read-only, and says so with annotations.readOnlyHint).

It speaks both protocol eras, as a server written today should:
- the stateless 2026-07-28 revision: it answers server/discover, and then
  expects every request to carry the version in params._meta;
- the 2025-11-25 revision with its initialize handshake, for older clients.

Messages are one JSON object per line on stdin and stdout; anything for a
human goes to stderr.
"""
import json
import os
import sys

STATELESS = "2026-07-28"
LEGACY = ("2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05")
NOTES = "NOTES.md"
VERSION_KEY = "io.modelcontextprotocol/protocolVersion"
SERVER_INFO = {"name": "longhaul-example-notes", "version": "1.0"}

TOOLS = [
    {
        "name": "add_note",
        "description": "Append one note (a line of text) to NOTES.md in the repository.",
        "inputSchema": {
            "type": "object",
            "properties": {"text": {"type": "string", "description": "The note, one line."}},
            "required": ["text"],
        },
    },
    {
        "name": "list_notes",
        "description": "Show the notes in NOTES.md, numbered.",
        "inputSchema": {"type": "object", "properties": {}},
        "annotations": {"readOnlyHint": True},
    },
]


def send(message):
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def result(request_id, value):
    send({"jsonrpc": "2.0", "id": request_id, "result": value})


def error(request_id, code, message):
    send({"jsonrpc": "2.0", "id": request_id, "error": {"code": code, "message": message}})


def text(value, is_error=False):
    return {"content": [{"type": "text", "text": value}], "isError": is_error}


def read_notes():
    if not os.path.exists(NOTES):
        return []
    with open(NOTES, encoding="utf-8") as f:
        return [line[2:].rstrip("\n") for line in f if line.startswith("- ")]


def call_tool(name, arguments):
    if name == "add_note":
        note = arguments.get("text")
        if not isinstance(note, str) or not note.strip() or "\n" in note:
            return text("text must be one non-empty line", is_error=True)
        with open(NOTES, "a", encoding="utf-8") as f:
            f.write("- " + note.strip() + "\n")
        return text("noted (%d notes now)" % len(read_notes()))
    if name == "list_notes":
        notes = read_notes()
        if not notes:
            return text("no notes yet")
        return text("\n".join("%d. %s" % (i + 1, n) for i, n in enumerate(notes)))
    return text("unknown tool: %s" % name, is_error=True)


def main():
    initialized = False  # the handshake happened: the legacy era
    for raw in sys.stdin:
        if not raw.strip():
            continue
        try:
            message = json.loads(raw)
        except ValueError:
            error(None, -32700, "Parse error")
            continue
        method, request_id = message.get("method"), message.get("id")
        params = message.get("params") or {}
        if request_id is None:
            continue  # notifications/initialized and friends
        if method == "server/discover":
            result(request_id, {"supportedVersions": [STATELESS], "capabilities": {"tools": {}},
                                "serverInfo": SERVER_INFO})
            continue
        if method == "initialize":
            asked = params.get("protocolVersion")
            initialized = True
            result(request_id, {"protocolVersion": asked if asked in LEGACY else LEGACY[0],
                                "capabilities": {"tools": {}}, "serverInfo": SERVER_INFO})
            continue
        if not initialized and (params.get("_meta") or {}).get(VERSION_KEY) != STATELESS:
            error(request_id, -32600, "no initialize handshake and no %s in _meta" % VERSION_KEY)
            continue
        if method == "ping":
            result(request_id, {})
        elif method == "tools/list":
            result(request_id, {"tools": TOOLS})
        elif method == "tools/call":
            result(request_id, call_tool(params.get("name"), params.get("arguments") or {}))
        else:
            error(request_id, -32601, "Method not found")


if __name__ == "__main__":
    main()
