"""A legacy-session MCP client (the official Python SDK) that answers a
server's requests for a human, for codemode's tests.

Usage: ask_client.py [--mode MODE] stdio COMMAND [ARGS...]   or   ask_client.py [--mode MODE] http URL
MODE is the SDK's connect mode: legacy (the default; initialize), or auto
(discover, so a 2026-07-28 server is spoken to statelessly and its
input_required results are answered with the same callbacks).
Reads {"calls": [{"name", "arguments"}, ...]} on stdin and makes the calls in
order. Elicitations are accepted with {"response": "42"} the first time and
declined after; sampling answers "Paris"; roots are file:///work. Prints
{"results": [text, ...], "asked": [...], "logs": [...]}.
"""

import asyncio
import json
import logging
import sys

from mcp import types
from mcp.client.client import Client
from mcp.client.stdio import StdioServerParameters

logging.basicConfig(level=logging.WARNING, stream=sys.stderr)

asked = []
logs = []


async def elicit(context, params):
    asked.append({"elicitation": params.message})
    if sum(1 for a in asked if "elicitation" in a) == 1:
        return types.ElicitResult(action="accept", content={"response": "42"})
    return types.ElicitResult(action="decline")


async def sample(context, params):
    asked.append({"sampling": params.messages[0].content.text})
    return types.CreateMessageResult(
        role="assistant", content=types.TextContent(type="text", text="Paris"), model="test-model"
    )


async def roots(context):
    asked.append({"roots": True})
    return types.ListRootsResult(roots=[types.Root(uri="file:///work", name="work")])


async def log(params):
    logs.append({"logger": params.logger, "data": params.data})


async def main() -> None:
    args = sys.argv[1:]
    mode = "legacy"
    if args[0] == "--mode":
        mode, args = args[1], args[2:]
    kind, target, *rest = args
    plan = json.load(sys.stdin)
    server = StdioServerParameters(command=target, args=rest) if kind == "stdio" else target
    async with Client(
        server,
        mode=mode,
        elicitation_callback=elicit,
        sampling_callback=sample,
        list_roots_callback=roots,
        logging_callback=log,
    ) as client:
        results = []
        for call in plan["calls"]:
            result = await client.call_tool(call["name"], call.get("arguments", {}))
            text = "\n".join(c.text for c in result.content if getattr(c, "type", "") == "text")
            results.append(text)
    json.dump({"results": results, "asked": asked, "logs": logs}, sys.stdout)


asyncio.run(asyncio.wait_for(main(), timeout=60))
