"""Writes a line that is not JSON: on tools/call, or with `start` before
anything else."""
import sys

import mini_mcp

if len(sys.argv) > 1 and sys.argv[1] == "start":
    print("Server starting... (a log line on stdout, which breaks the protocol)", flush=True)


def call(request_id, name, arguments):
    print("oops {this is not json", flush=True)


mini_mcp.serve(call)
