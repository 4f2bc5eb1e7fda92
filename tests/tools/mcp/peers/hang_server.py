"""Answers the handshake and tools/list, then never answers a tools/call."""
import time

import mini_mcp


def call(request_id, name, arguments):
    time.sleep(3600)


mini_mcp.serve(call)
