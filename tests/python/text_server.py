"""An MCP server over stdio whose one tool, `say`, answers the text it is
given as a plain text result (no outputSchema, no structuredContent): for
tests of what codemode learns of, and shows about, a text's layout.

Speaks MCP by hand with bare_server.py.
"""

from bare_server import serve

TOOLS = [
    {
        "name": "say",
        "description": "Answers the text it is given.",
        "inputSchema": {"type": "object", "properties": {"text": {"type": "string"}}},
    },
]



def call(params):
    args = params.get("arguments") or {}
    return {"content": [{"type": "text", "text": args.get("text", "")}]}


if __name__ == "__main__":
    serve("text", TOOLS, call)
