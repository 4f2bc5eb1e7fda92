"""A handshake-era server that treats the server/discover probe in one of
the ways real ones do: `error` (-32602, as some SDKs answer an unknown
request before initialize), `silent` (no answer at all) or `exit` (it
quits). It counts its starts in the file given as the second argument."""
import sys

import mini_mcp

mode = sys.argv[1]
with open(sys.argv[2], "a") as starts:
    starts.write("start\n")


def on_message(message):
    if message.get("method") != "server/discover":
        return False
    if mode == "error":
        mini_mcp.error(message["id"], -32602, "Invalid request parameters")
    elif mode == "exit":
        sys.exit(3)
    return True  # silent: swallowed


def call(request_id, name, arguments):
    mini_mcp.reply(request_id, mini_mcp.text_result("legacy " + mode + ": " + arguments.get("message", "")))


mini_mcp.serve(call, on_message=on_message)
