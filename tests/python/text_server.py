"""An MCP server over stdio whose one tool, `say`, answers the text it is
given as a plain text result (no outputSchema, no structuredContent): for
tests of what codemode learns of, and shows about, a text's layout.

Speaks just enough JSON-RPC by hand (no SDK), like hostile_server.py.
"""

import json
import sys

TOOLS = [
    {
        "name": "say",
        "description": "Answers the text it is given.",
        "inputSchema": {"type": "object", "properties": {"text": {"type": "string"}}},
    },
]


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
                "serverInfo": {"name": "text", "version": "1"},
            }
        elif method == "tools/list":
            result = {"tools": TOOLS}
        elif method == "tools/call":
            args = message["params"].get("arguments") or {}
            result = {"content": [{"type": "text", "text": args.get("text", "")}]}
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
