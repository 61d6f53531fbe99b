"""Just enough MCP over stdio, by hand (no SDK), for test servers that must
answer exactly what a test needs: `serve(name, tools, call)` answers
`initialize`, `tools/list` with `tools`, `tools/call` with `call(params)`'s
result, and `ping`; any other request gets "method not found"."""

import json
import sys


def write(message, compact=False):
    separators = (",", ":") if compact else None
    sys.stdout.write(json.dumps(message, separators=separators) + "\n")
    sys.stdout.flush()


def serve(name, tools, call, compact=False):
    for line in sys.stdin:
        if not line.strip():
            continue
        message = json.loads(line)
        method, id = message.get("method"), message.get("id")
        if method == "initialize":
            result = {
                "protocolVersion": message["params"]["protocolVersion"],
                "capabilities": {"tools": {}},
                "serverInfo": {"name": name, "version": "1"},
            }
        elif method == "tools/list":
            result = {"tools": tools}
        elif method == "tools/call":
            result = call(message["params"])
        elif method == "ping":
            result = {}
        elif id is not None:
            write({"jsonrpc": "2.0", "id": id, "error": {"code": -32601, "message": "no method " + method}})
            continue
        else:
            continue
        write({"jsonrpc": "2.0", "id": id, "result": result}, compact)
