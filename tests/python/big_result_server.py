"""An MCP server over stdio whose one tool, `big`, answers a result of about
`mb` megabytes in the hostile shape `kind` names (see `result`): for tests and
measurements of the host memory a tool result may make codemode spend.

Speaks just enough JSON-RPC by hand (no SDK), like hostile_server.py.
"""

import base64
import json
import sys

TOOLS = [
    {
        "name": "big",
        "description": "Answers a large result of the given kind.",
        "inputSchema": {
            "type": "object",
            "properties": {"kind": {"type": "string"}, "mb": {"type": "number"}},
        },
    },
]


def text(value):
    return {"content": [{"type": "text", "text": value}]}


def result(kind, size):
    """A result of about `size` bytes on the wire."""
    if kind == "small":
        return text(json.dumps([{"id": i, "name": "row %d" % i} for i in range(3)]))
    if kind == "empty_lists":
        return text("[" + ",".join(["[]"] * (size // 3)) + "]")
    if kind == "empty_tuples":
        return text("[" + ",".join(["()"] * (size // 3)) + "]")
    if kind == "nul_escapes":
        return text("['" + "\\0" * (size // 2) + "']")
    if kind == "control_text":
        return text("\x01" * (size // 6))
    if kind == "plain_text":
        return text("a" * size)
    if kind == "blocks":
        return {"content": [{"type": "text", "text": ""}] * (size // 26)}
    if kind == "structured":
        return {"content": [], "structuredContent": {"rows": [[]] * (size // 3)}}
    if kind == "image":
        data = base64.b64encode(b"\0" * (size * 3 // 4)).decode()
        return {"content": [{"type": "image", "data": data, "mimeType": "image/png"}]}
    if kind == "meta":
        return {"content": [{"type": "text", "text": "ok", "_meta": {"x": [[]] * (size // 3)}}]}
    raise ValueError("no kind " + kind)


def write(message):
    sys.stdout.write(json.dumps(message, separators=(",", ":")) + "\n")
    sys.stdout.flush()


def main():
    for line in sys.stdin:
        if not line.strip():
            continue
        message = json.loads(line)
        method, id = message.get("method"), message.get("id")
        if method == "initialize":
            answer = {
                "protocolVersion": message["params"]["protocolVersion"],
                "capabilities": {"tools": {}},
                "serverInfo": {"name": "big", "version": "1"},
            }
        elif method == "tools/list":
            answer = {"tools": TOOLS}
        elif method == "tools/call":
            args = message["params"].get("arguments") or {}
            size = int(float(args.get("mb", 1)) * 1_000_000)
            answer = result(args.get("kind", "small"), size)
        elif method == "ping":
            answer = {}
        elif id is not None:
            write({"jsonrpc": "2.0", "id": id, "error": {"code": -32601, "message": "no method " + method}})
            continue
        else:
            continue
        write({"jsonrpc": "2.0", "id": id, "result": answer})


if __name__ == "__main__":
    main()
