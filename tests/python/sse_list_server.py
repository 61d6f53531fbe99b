"""A streamable HTTP MCP server of 2026-07-28 (no initialize) that answers every
request as an event stream that ends right after the answer, with one tool
whose `region` argument is mirrored in an `Mcp-Param-Region` header
(`x-mcp-header`). The tool answers with the header it received, or
"(no header)". It reproduces a race in rmcp 3.9's HTTP client, which learns
a tool's header annotations from tools/list only on some paths (see
docs/upstream/rmcp-mcp-param-race.md). Prints its URL; standard library only.
"""

import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TOOL = {
    "name": "where",
    "description": "Says which region header it got.",
    "inputSchema": {
        "type": "object",
        "properties": {"region": {"type": "string", "x-mcp-header": "Region"}},
        "required": ["region"],
    },
}


def answer(message, headers):
    method = message.get("method")
    if method == "server/discover":
        return {"resultType": "complete", "supportedVersions": ["2026-07-28"],
                "capabilities": {"tools": {}}, "ttlMs": 0, "cacheScope": "public",
                "serverInfo": {"name": "sse-list", "version": "1"}}
    if method == "tools/list":
        return {"resultType": "complete", "tools": [TOOL], "ttlMs": 0, "cacheScope": "public"}
    if method == "tools/call":
        seen = headers.get("Mcp-Param-Region", "(no header)")
        return {"resultType": "complete", "content": [{"type": "text", "text": seen}]}
    return {"resultType": "complete"}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        message = json.loads(body)
        if "id" not in message:
            self.send_response(202)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        reply = {"jsonrpc": "2.0", "id": message["id"], "result": answer(message, self.headers)}
        data = f"event: message\ndata: {json.dumps(reply)}\n\n".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        self.send_response(405)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_DELETE(self):
        self.do_GET()


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(f"http://127.0.0.1:{server.server_address[1]}/mcp", flush=True)
server.serve_forever()
