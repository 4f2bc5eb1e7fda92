#!/usr/bin/env python3
"""top_words: a manifest plugin tool.

longhaul runs this once per call, in the sandbox, at the repository root.
It reads the call's arguments (one JSON object) on stdin and writes one
JSON object on stdout: {"content": "...", "is_error": false}.
"""
import collections
import json
import re
import sys

arguments = json.loads(sys.stdin.readline())
path = arguments.get("path", "")
count = arguments.get("count", 10)
try:
    with open(path, encoding="utf-8", errors="replace") as f:
        words = re.findall(r"[A-Za-z_][A-Za-z0-9_']*", f.read().lower())
except OSError as e:
    print(json.dumps({"content": "cannot read %s: %s" % (path, e.strerror), "is_error": True}))
    sys.exit(0)
top = collections.Counter(words).most_common(max(1, min(int(count), 100)))
lines = ["%s: %d words, %d distinct" % (path, len(words), len(set(words)))]
lines += ["%6d  %s" % (n, w) for w, n in top]
print(json.dumps({"content": "\n".join(lines)}))
