"""An MCP server over stdio whose tools are called whatever NAMED_TOOLS
(a JSON list) says, for codemode's tests of names that are hard on a
JavaScript engine (`__proto__`, `toString`, `then`, ...). Every tool answers
with its own name, as it was called."""

import json
import os
import sys

TOOLS = json.loads(os.environ.get("NAMED_TOOLS", "[]"))


def write(message):
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def main():
    for line in sys.stdin:
        if not line.strip():
            continue
        message = json.loads(line)
        method, id = message.get("method"), message.get("id")
        if method == "initialize":
            result = {
                "protocolVersion": message["params"]["protocolVersion"],
                "capabilities": {"tools": {}},
                "serverInfo": {"name": "named", "version": "1"},
            }
        elif method == "tools/list":
            result = {"tools": [{"name": t, "inputSchema": {"type": "object"}} for t in TOOLS]}
        elif method == "tools/call":
            name = message["params"]["name"]
            answer = {"tool": name}
            result = {"content": [{"type": "text", "text": json.dumps(answer)}], "structuredContent": answer}
        elif method == "ping":
            result = {}
        elif id is not None:
            write({"jsonrpc": "2.0", "id": id, "error": {"code": -32601, "message": "no method " + method}})
            continue
        else:
            continue
        write({"jsonrpc": "2.0", "id": id, "result": result})


if __name__ == "__main__":
    main()
