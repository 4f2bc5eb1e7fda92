"""Tries to reach a TCP port on the host's loopback: is there a network?"""
import json
import socket
import sys

port = json.loads(sys.stdin.readline())["port"]
try:
    socket.create_connection(("127.0.0.1", port), timeout=3).close()
    print(json.dumps({"content": "connected"}))
except OSError as e:
    print(json.dumps({"content": "no connection: " + type(e).__name__}))
