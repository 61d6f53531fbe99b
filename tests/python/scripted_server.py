"""An MCP server over stdio whose self-description and tools are whatever a
JSON file says, read again on every request, for codemode's tests of what
reaches the model: a server that changes its instructions or its tools
between runs (a rug pull), or adds a tool while it runs.
With "prompts" or "resources" lists in the spec, it offers those too; with
"chatter", it logs that text every 50 ms once initialized; with
"call_seconds", each call takes that long; with "read_seconds", so does
each prompts/get and resources/read. Forwarded requests and cancellations
are logged too ({"prompt"}, {"read"}, {"cancelled"}).

SCRIPTED_SPEC names the file: {"serverInfo": {...}, "instructions": "...",
"tools": [...]}. Every tool answers with its name and arguments, and the
calls are appended to SCRIPTED_LOG (one JSON line each). The tool named
`announce`, if listed, sends notifications/tools/list_changed before it
answers, so a test can change the file and then have the server say so.
"""

import json
import os
import sys
import threading
import time

SPEC = os.environ["SCRIPTED_SPEC"]
LOG = os.environ.get("SCRIPTED_LOG")


def spec():
    with open(SPEC) as f:
        return json.load(f)


WRITING = threading.Lock()


def write(message):
    with WRITING:
        sys.stdout.write(json.dumps(message) + "\n")
        sys.stdout.flush()


def chatter(text):
    while True:
        time.sleep(0.05)
        write({"jsonrpc": "2.0", "method": "notifications/message",
               "params": {"level": "info", "data": text}})


def received(entry):
    """Logs a forwarded request, then takes "read_seconds" to answer it."""
    if LOG:
        with open(LOG, "a") as f:
            f.write(json.dumps(entry) + "\n")
    time.sleep(spec().get("read_seconds", 0))


def reply(id, result):
    write({"jsonrpc": "2.0", "id": id, "result": result})


def capabilities(current):
    offered = {"tools": {"listChanged": True}}
    if "chatter" in current:
        offered["logging"] = {}
    for kind in ("prompts", "resources"):
        if kind in current:
            offered[kind] = {}
    return offered


def main():
    for line in sys.stdin:
        if not line.strip():
            continue
        message = json.loads(line)
        method, id = message.get("method"), message.get("id")
        if method == "initialize":
            current = spec()
            result = {
                "protocolVersion": message["params"]["protocolVersion"],
                "capabilities": capabilities(current),
                "serverInfo": current.get("serverInfo", {"name": "scripted", "version": "1"}),
            }
            if "instructions" in current:
                result["instructions"] = current["instructions"]
            reply(id, result)
        elif method == "tools/list":
            reply(id, {"tools": spec()["tools"]})
        elif method == "tools/call":
            name = message["params"]["name"]
            args = message["params"].get("arguments") or {}
            if LOG:
                with open(LOG, "a") as f:
                    f.write(json.dumps({"call": name, "args": args}) + "\n")
            time.sleep(spec().get("call_seconds", 0))
            if name == "announce":
                write({"jsonrpc": "2.0", "method": "notifications/tools/list_changed"})
            reply(id, {"content": [{"type": "text", "text": json.dumps({"tool": name, "args": args})}]})
        elif method == "notifications/cancelled":
            if LOG:
                with open(LOG, "a") as f:
                    f.write(json.dumps({"cancelled": message["params"].get("requestId")}) + "\n")
        elif method == "notifications/initialized":
            text = spec().get("chatter")
            if text:
                threading.Thread(target=chatter, args=(text,), daemon=True).start()
        elif method == "prompts/list":
            reply(id, {"prompts": spec().get("prompts", [])})
        elif method == "prompts/get":
            name = message["params"]["name"]
            received({"prompt": name})
            reply(id, {"description": name, "messages": [
                {"role": "user", "content": {"type": "text", "text": "prompt " + name}}]})
        elif method == "resources/list":
            reply(id, {"resources": spec().get("resources", [])})
        elif method == "resources/templates/list":
            reply(id, {"resourceTemplates": []})
        elif method == "resources/read":
            uri = message["params"]["uri"]
            received({"read": uri})
            reply(id, {"contents": [{"uri": uri, "text": "contents of " + uri}]})
        elif method == "ping":
            reply(id, {})
        elif id is not None:
            write({"jsonrpc": "2.0", "id": id, "error": {"code": -32601, "message": "no method " + method}})


if __name__ == "__main__":
    main()
