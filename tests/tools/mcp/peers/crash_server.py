"""Crashes (SIGSEGV) on tools/call.

With a path argument it crashes only while that file does not exist, and
creates it first: the first call crashes, a restarted server works.
"""
import os
import signal
import sys

import mini_mcp


def call(request_id, name, arguments):
    marker = sys.argv[1] if len(sys.argv) > 1 else None
    if marker is None or not os.path.exists(marker):
        if marker is not None:
            open(marker, "w").close()
        sys.stderr.write("crash_server: about to crash\n")
        sys.stderr.flush()
        os.kill(os.getpid(), signal.SIGSEGV)
    mini_mcp.reply(request_id, mini_mcp.text_result("survived: " + arguments.get("message", "")))


mini_mcp.serve(call)
