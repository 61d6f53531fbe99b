"""An MCP server over stdio whose tools are called whatever NAMED_TOOLS
(a JSON list) says, for codemode's tests of names that are hard on a
JavaScript engine (`__proto__`, `toString`, `then`, ...). Every tool answers
with its own name, as it was called."""

import json
import os

from bare_server import serve

TOOLS = json.loads(os.environ.get("NAMED_TOOLS", "[]"))



def call(params):
    answer = {"tool": params["name"]}
    return {"content": [{"type": "text", "text": json.dumps(answer)}], "structuredContent": answer}


if __name__ == "__main__":
    serve("named", [{"name": t, "inputSchema": {"type": "object"}} for t in TOOLS], call)
