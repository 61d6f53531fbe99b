"""An MCP server over stdio whose one tool, `big`, answers a result of about
`mb` megabytes in the hostile shape `kind` names (see `result`): for tests and
measurements of the host memory a tool result may make codemode spend.

Speaks MCP by hand with bare_server.py, in compact JSON, so `mb` is what
crosses the pipe.
"""

import base64
import json

from bare_server import serve

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



def call(params):
    args = params.get("arguments") or {}
    return result(args.get("kind", "small"), int(float(args.get("mb", 1)) * 1_000_000))


if __name__ == "__main__":
    serve("big", TOOLS, call, compact=True)
