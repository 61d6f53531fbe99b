"""Watch codemode's tool list with `subscriptions/listen` (2026-07-28), using
the official Python SDK, for codemode's tests.

Usage: listen_client.py stdio COMMAND [ARGS...]   or   listen_client.py http URL
Opens a subscription to tool-list changes, runs the program given on stdin
with `execute` (it should make an upstream's tools change), waits for the
change event, lists the tools again, and prints
{"protocol", "honored", "result", "events", "tools"}.
"""

import asyncio
import json
import logging
import sys

from mcp.client.client import Client
from mcp.client.stdio import StdioServerParameters

logging.basicConfig(level=logging.WARNING, stream=sys.stderr)


async def main() -> None:
    kind, target, *rest = sys.argv[1:]
    program = sys.stdin.read()
    server = StdioServerParameters(command=target, args=rest) if kind == "stdio" else target
    async with Client(server) as client:
        events = []
        async with client.listen(tools_list_changed=True, prompts_list_changed=True) as subscription:
            result = await client.call_tool("execute", {"code": program})
            async for event in subscription:
                events.append(type(event).__name__)
                break
        tools = (await client.list_tools()).tools
        honored = subscription.honored.model_dump(by_alias=True, exclude_none=True)
        output = {
            "protocol": client.session.protocol_version,
            "honored": honored,
            "result": result.structured_content,
            "events": events,
            "tools": [t.description for t in tools if t.name == "execute"],
        }
    json.dump(output, sys.stdout)


asyncio.run(asyncio.wait_for(main(), timeout=30))
