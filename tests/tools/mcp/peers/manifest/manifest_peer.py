"""A manifest tool that misbehaves as its first argument says."""
import json
import sys
import time

mode = sys.argv[1]
arguments = json.loads(sys.stdin.readline())
if mode == "ok":
    print(json.dumps({"content": "got " + json.dumps(arguments, sort_keys=True)}))
elif mode == "tool_error":
    print(json.dumps({"content": "no such thing: " + arguments.get("name", "?"), "is_error": True}))
elif mode == "mcp_content":
    print(json.dumps({"content": [{"type": "text", "text": "first"}, {"type": "text", "text": "second"}]}))
elif mode == "slow":
    print("started", file=sys.stderr, flush=True)
    time.sleep(60)
elif mode == "not_json":
    print("Here is your answer: 42")
elif mode == "exit_nonzero":
    print("something broke", file=sys.stderr)
    sys.exit(2)
elif mode == "flood":
    print(json.dumps({"content": "x" * 300000}))
