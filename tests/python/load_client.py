"""Many concurrent MCP clients (the official Python SDK) making executions
through one URL, for codemode's replica tests.

Usage: load_client.py URL CLIENTS EXECUTIONS SLOW_MS
Half the clients keep a legacy session (initialize), half speak 2026-07-28
(discover, stateless). Client c's execution i returns c * 1000 + i after a
SLOW_MS upstream call, so each result can be checked. Prints one JSON list:
{"client", "mode", "i", "started", "ended", "ok", "result" | "error"}, times
in seconds since the epoch. A call with no answer after 10 s is an error too,
so that the test tells a client left waiting from one that heard of a failure.
"""

import asyncio
import json
import sys
import time

from mcp.client.client import Client

url, clients, executions, slow_ms = sys.argv[1], *map(int, sys.argv[2:5])
outcomes = []


async def one_client(c: int, mode: str) -> None:
    try:
        async with Client(url, mode=mode) as client:
            for i in range(executions):
                code = f"await conformance_fixture.test_slow({{ ms: {slow_ms} }});\nreturn {c * 1000 + i};"
                outcome = {"client": c, "mode": mode, "i": i, "started": time.time()}
                try:
                    result = await asyncio.wait_for(client.call_tool("execute", {"code": code}), 10)
                    text = "\n".join(x.text for x in result.content if getattr(x, "type", "") == "text")
                    outcome.update(ok=not result.is_error, result=text if not result.is_error else None,
                                   error=text if result.is_error else None)
                except Exception as error:  # noqa: BLE001 - every failure is reported
                    outcome.update(ok=False, error=f"{type(error).__name__}: {error}")
                outcome["ended"] = time.time()
                outcomes.append(outcome)
    except Exception as error:  # noqa: BLE001
        outcomes.append({"client": c, "mode": mode, "i": -1, "started": time.time(), "ended": time.time(),
                         "ok": False, "error": f"session: {describe(error)}"})


def describe(error: BaseException) -> str:
    """An error and, for a group, what it holds: the group's own text says only how many."""
    inner = getattr(error, "exceptions", None)
    if inner:
        return f"{type(error).__name__}: " + "; ".join(describe(e) for e in inner)
    return f"{type(error).__name__}: {error}"


async def main() -> None:
    await asyncio.gather(*(one_client(c, "legacy" if c % 2 == 0 else "auto") for c in range(clients)))
    json.dump(outcomes, sys.stdout)


asyncio.run(main())
