"""A misbehaving MCP server over stdio, for codemode's hostile-input tests.

It speaks just enough JSON-RPC by hand (no SDK) to write what a well-behaved
library never would: results nested deeper than parsers allow, responses
larger than transports accept, huge error texts, floods of notifications.
Every tools/call and tools/list it receives is appended to the file named by
HOSTILE_LOG (one JSON line each), so tests can see what reached the server.
"""

import json
import os
import sys
import time

LOG = os.environ.get("HOSTILE_LOG")

TOOLS = [
    {"name": "echo", "description": "Returns its arguments.", "inputSchema": {"type": "object"}},
    {"name": "deep", "description": "A result nested `depth` levels.", "inputSchema": {"type": "object", "properties": {"depth": {"type": "integer"}}}},
    {"name": "huge", "description": "A text result of `mb` megabytes.", "inputSchema": {"type": "object", "properties": {"mb": {"type": "number"}}}},
    {"name": "fail", "description": "An error with a text of `kb` kilobytes.", "inputSchema": {"type": "object", "properties": {"kb": {"type": "integer"}}}},
    {"name": "slow", "description": "Answers after `ms` milliseconds.", "inputSchema": {"type": "object", "properties": {"ms": {"type": "integer"}}}},
    {"name": "flood", "description": "Sends `n` tools/list_changed notifications.", "inputSchema": {"type": "object", "properties": {"n": {"type": "integer"}}}},
]


def log(entry):
    if LOG:
        with open(LOG, "a") as f:
            f.write(json.dumps(entry) + "\n")


def write(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def reply(id, result):
    write(json.dumps({"jsonrpc": "2.0", "id": id, "result": result}))


def text(s):
    return {"content": [{"type": "text", "text": s}]}


def call(id, name, args):
    log({"call": name, "args": args})
    if name == "echo":
        reply(id, {"content": [{"type": "text", "text": json.dumps(args)}], "structuredContent": args})
    elif name == "deep":
        depth = int(args.get("depth", 130))
        # Written by hand: json.dumps would refuse to nest this deep.
        nested = "[" * depth + "1" + "]" * depth
        write('{"jsonrpc":"2.0","id":%s,"result":{"content":[],"structuredContent":{"v":%s}}}' % (json.dumps(id), nested))
    elif name == "huge":
        size = int(float(args.get("mb", 20)) * 1_000_000)
        write('{"jsonrpc":"2.0","id":%s,"result":{"content":[{"type":"text","text":"%s"}]}}' % (json.dumps(id), "x" * size))
    elif name == "fail":
        message = "e" * (int(args.get("kb", 1024)) * 1024)
        reply(id, {"content": [{"type": "text", "text": message}], "isError": True})
    elif name == "slow":
        time.sleep(int(args.get("ms", 100)) / 1000)
        reply(id, text("done"))
    elif name == "flood":
        note = json.dumps({"jsonrpc": "2.0", "method": "notifications/tools/list_changed"})
        for _ in range(int(args.get("n", 20000))):
            sys.stdout.write(note + "\n")
        sys.stdout.flush()
        reply(id, text("flooded"))
    else:
        write(json.dumps({"jsonrpc": "2.0", "id": id, "error": {"code": -32602, "message": "no tool " + name}}))


def main():
    for line in sys.stdin:
        if not line.strip():
            continue
        message = json.loads(line)
        method, id = message.get("method"), message.get("id")
        if method == "initialize":
            reply(id, {
                "protocolVersion": message["params"]["protocolVersion"],
                "capabilities": {"tools": {"listChanged": True}},
                "serverInfo": {"name": "hostile", "version": "1"},
            })
        elif method == "tools/list":
            log({"list": True})
            reply(id, {"tools": TOOLS})
        elif method == "tools/call":
            call(id, message["params"]["name"], message["params"].get("arguments") or {})
        elif method == "ping":
            reply(id, {})
        elif id is not None:
            write(json.dumps({"jsonrpc": "2.0", "id": id, "error": {"code": -32601, "message": "no method " + method}}))


if __name__ == "__main__":
    main()
