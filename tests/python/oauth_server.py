"""An MCP server behind OAuth 2.1, with its own authorization server, for
codemode's login tests. Standard library only.

Usage: oauth_server.py   (prints its base URL, then serves until killed)

The MCP endpoint is /mcp (legacy lifecycle, JSON answers). Without a valid
bearer token it answers 401 with a challenge naming its protected-resource
metadata. Tools: `whoami` (needs "notes:read") returns the token's scopes;
`write_note` needs "notes:write" too and answers 403 insufficient_scope
otherwise, so a client has to step up. The authorization server checks
PKCE (S256), the `resource` parameter and the redirect URI, registers
clients dynamically, and issues access tokens that live 2 seconds, so a
client must refresh them. GET /stats reports what happened, and how many
access tokens have not expired yet.
"""

import base64
import hashlib
import json
import secrets
import sys
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

STATE = {
    "clients": {},  # client_id -> redirect_uris
    "codes": {},  # code -> {client_id, redirect_uri, challenge, scope, resource}
    "tokens": {},  # access token -> {scope, expires}
    "refresh": {},  # refresh token -> scope
    "stats": {"registrations": 0, "authorizations": 0, "code_exchanges": 0, "refreshes": 0, "bad_requests": [],
              "unknown_tokens": []},
}
ACCESS_TTL = 2


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    @property
    def base(self):
        return f"http://{self.headers['Host']}"

    def send_json(self, status, body, headers=None):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def refuse(self, what):
        STATE["stats"]["bad_requests"].append(what)
        self.send_json(400, {"error": "invalid_request", "error_description": what})

    def body(self):
        length = int(self.headers.get("content-length") or 0)
        return self.rfile.read(length) if length else b""

    def do_GET(self):
        url = urllib.parse.urlparse(self.path)
        query = dict(urllib.parse.parse_qsl(url.query))
        if url.path.startswith("/.well-known/oauth-protected-resource"):
            return self.send_json(200, {
                "resource": self.base + "/mcp",
                "authorization_servers": [self.base],
                "scopes_supported": ["notes:read", "notes:write"],
            })
        if url.path in ("/.well-known/oauth-authorization-server", "/.well-known/openid-configuration"):
            return self.send_json(200, {
                "issuer": self.base,
                "authorization_endpoint": self.base + "/authorize",
                "token_endpoint": self.base + "/token",
                "registration_endpoint": self.base + "/register",
                "response_types_supported": ["code"],
                "grant_types_supported": ["authorization_code", "refresh_token"],
                "code_challenge_methods_supported": ["S256"],
                "token_endpoint_auth_methods_supported": ["none"],
                "scopes_supported": ["notes:read", "notes:write"],
                "authorization_response_iss_parameter_supported": True,
            })
        if url.path == "/authorize":
            STATE["stats"]["authorizations"] += 1
            client = STATE["clients"].get(query.get("client_id"))
            if client is None or query.get("redirect_uri") not in client:
                return self.refuse("unknown client or redirect_uri")
            if query.get("code_challenge_method") != "S256" or not query.get("code_challenge"):
                return self.refuse("PKCE with S256 is required")
            if query.get("resource") != self.base + "/mcp":
                return self.refuse(f"resource must be {self.base}/mcp, not {query.get('resource')}")
            code = secrets.token_urlsafe(16)
            STATE["codes"][code] = {
                "client_id": query["client_id"],
                "redirect_uri": query["redirect_uri"],
                "challenge": query["code_challenge"],
                "scope": query.get("scope") or "notes:read",
            }
            target = query["redirect_uri"] + "?" + urllib.parse.urlencode(
                {"code": code, "state": query.get("state", ""), "iss": self.base}
            )
            self.send_response(302)
            self.send_header("location", target)
            self.send_header("content-length", "0")
            self.end_headers()
            return
        if url.path == "/stats":
            now = time.time()
            unexpired = sum(1 for t in STATE["tokens"].values() if t["expires"] >= now)
            return self.send_json(200, dict(STATE["stats"], unexpired_tokens=unexpired))
        if url.path == "/mcp":
            self.send_response(405)
            self.send_header("content-length", "0")
            self.end_headers()
            return
        self.send_json(404, {"error": "not found"})

    def do_DELETE(self):
        self.send_response(405)
        self.send_header("content-length", "0")
        self.end_headers()

    def do_POST(self):
        url = urllib.parse.urlparse(self.path)
        if url.path == "/register":
            request = json.loads(self.body() or b"{}")
            client_id = "client-" + secrets.token_hex(4)
            STATE["clients"][client_id] = request.get("redirect_uris", [])
            STATE["stats"]["registrations"] += 1
            return self.send_json(201, {"client_id": client_id, "redirect_uris": request.get("redirect_uris", []),
                                        "token_endpoint_auth_method": "none"})
        if url.path == "/token":
            return self.token(dict(urllib.parse.parse_qsl(self.body().decode())))
        if url.path == "/mcp":
            return self.mcp()
        self.send_json(404, {"error": "not found"})

    def token(self, form):
        if form.get("grant_type") == "authorization_code":
            grant = STATE["codes"].pop(form.get("code"), None)
            if grant is None or grant["redirect_uri"] != form.get("redirect_uri"):
                return self.send_json(400, {"error": "invalid_grant"})
            verifier = form.get("code_verifier", "")
            digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
            if digest != grant["challenge"]:
                return self.send_json(400, {"error": "invalid_grant", "error_description": "PKCE verification failed"})
            if form.get("resource") != self.base + "/mcp":
                STATE["stats"]["bad_requests"].append("token request without the resource parameter")
            STATE["stats"]["code_exchanges"] += 1
            scope = grant["scope"]
        elif form.get("grant_type") == "refresh_token":
            scope = STATE["refresh"].pop(form.get("refresh_token"), None)
            if scope is None:
                return self.send_json(400, {"error": "invalid_grant"})
            STATE["stats"]["refreshes"] += 1
        else:
            return self.send_json(400, {"error": "unsupported_grant_type"})
        access, refresh = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
        STATE["tokens"][access] = {"scope": scope, "expires": time.time() + ACCESS_TTL}
        STATE["refresh"][refresh] = scope
        self.send_json(200, {"access_token": access, "token_type": "Bearer", "expires_in": ACCESS_TTL,
                             "refresh_token": refresh, "scope": scope})

    def challenge(self, status, extra=""):
        header = f'Bearer resource_metadata="{self.base}/.well-known/oauth-protected-resource/mcp", scope="notes:read"{extra}'
        self.send_json(status, {"error": "unauthorized"}, {"www-authenticate": header})

    def mcp(self):
        message = json.loads(self.body() or b"{}")
        auth = self.headers.get("authorization", "")
        sent = auth[len("Bearer "):] if auth.startswith("Bearer ") else None
        grant = STATE["tokens"].get(sent) if sent else None
        if sent and grant is None:
            STATE["stats"]["unknown_tokens"].append(sent)
        if grant is None or grant["expires"] < time.time():
            return self.challenge(401, ', error="invalid_token"' if grant else "")
        scopes = grant["scope"].split()
        method, id = message.get("method"), message.get("id")
        if id is None:
            self.send_response(202)
            self.send_header("content-length", "0")
            self.end_headers()
            return
        if method == "initialize":
            result = {"protocolVersion": "2025-11-25", "capabilities": {"tools": {}},
                      "serverInfo": {"name": "notes", "version": "1"}}
        elif method == "tools/list":
            result = {"tools": [
                {"name": "whoami", "description": "The scopes of the caller's token.", "inputSchema": {"type": "object"}},
                {"name": "write_note", "description": "Write a note (needs notes:write).",
                 "inputSchema": {"type": "object", "properties": {"text": {"type": "string"}}}},
            ]}
        elif method == "tools/call":
            name = message["params"]["name"]
            if name == "write_note" and "notes:write" not in scopes:
                header = (f'Bearer error="insufficient_scope", scope="notes:read notes:write", '
                          f'resource_metadata="{self.base}/.well-known/oauth-protected-resource/mcp"')
                return self.send_json(403, {"error": "insufficient_scope"}, {"www-authenticate": header})
            text = " ".join(sorted(scopes)) if name == "whoami" else "written: " + message["params"]["arguments"].get("text", "")
            result = {"content": [{"type": "text", "text": text}]}
        else:
            return self.send_json(200, {"jsonrpc": "2.0", "id": id, "error": {"code": -32601, "message": "Method not found"}})
        self.send_json(200, {"jsonrpc": "2.0", "id": id, "result": result})


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(f"http://127.0.0.1:{server.server_address[1]}", flush=True)
server.serve_forever()
