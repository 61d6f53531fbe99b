"""Drive an MCP server with the official Python SDK, for codemode's tests.

Usage: mcp_client.py stdio COMMAND [ARGS...]   or   mcp_client.py http URL
Reads a plan from stdin: {"calls": [{"name": ..., "arguments": {...}}, ...]}.
Lists every tool (following nextCursor), makes the calls in order, and prints
{"tools": [...], "results": [{"isError", "text", "structuredContent"}, ...]}.
"""

import asyncio
import json
import logging
import sys

from mcp.client.client import Client
from mcp.client.stdio import StdioServerParameters


# The SDK's warnings (a failed session termination, say) go to stderr, where
# the tests look for them.
logging.basicConfig(level=logging.WARNING, stream=sys.stderr)


async def main() -> None:
    kind, target, *rest = sys.argv[1:]
    plan = json.load(sys.stdin)
    server = StdioServerParameters(command=target, args=rest) if kind == "stdio" else target
    async with Client(server) as client:
        tools, cursor = [], None
        while True:
            page = await client.list_tools(cursor=cursor)
            tools.extend(t.model_dump(by_alias=True, exclude_none=True) for t in page.tools)
            cursor = page.next_cursor
            if not cursor:
                break
        results = []
        for call in plan.get("calls", []):
            result = await client.call_tool(call["name"], call.get("arguments", {}))
            text = "\n".join(c.text for c in result.content if getattr(c, "type", "") == "text")
            results.append({
                "isError": bool(result.is_error),
                "text": text,
                "structuredContent": result.structured_content,
            })
    json.dump({"tools": tools, "results": results}, sys.stdout)


asyncio.run(main())
