"""Record what real MCP servers answer to `tools/call`, for fixtures/results/.

Usage: record-results.py OUT_DIR   (in the venv scripts/test.sh makes, with
CODEMODE_TEST_DEPS set; CODEMODE names the codemode binary for the demo
server, `codemode` on PATH if unset)

Starts each server of the corpus on data made here (a git repository with a
fixed author and dates, a SQLite file, a folder of files), calls its tools and
writes one file per server and tool, `SERVER.TOOL.json`:
{"server", "tool", "arguments", "result"} where `result` is the `tools/call`
result as the server sent it. Values are the made-up data, fine to commit;
servers run with a bare environment so nothing of this machine is recorded.
"""

import asyncio
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

from mcp.client.client import Client
from mcp.client.stdio import StdioServerParameters

DEPS = Path(os.environ["CODEMODE_TEST_DEPS"])
WORK = Path("/tmp/codemode-results")
BARE_ENV = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(WORK / "home"), "LANG": "C.UTF-8"}


def git(repo: Path, *args: str, date: str = "2026-01-15T10:00:00+00:00") -> None:
    env = dict(BARE_ENV, GIT_AUTHOR_DATE=date, GIT_COMMITTER_DATE=date)
    subprocess.run(["git", "-C", str(repo), *args], check=True, env=env, capture_output=True)


def make_data() -> None:
    shutil.rmtree(WORK, ignore_errors=True)
    (WORK / "home").mkdir(parents=True)
    repo = WORK / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "user.name", "Ann Example")
    git(repo, "config", "user.email", "ann@example.org")
    (repo / "README.md").write_text("# Demo\n")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "Add the README")
    (repo / "app.py").write_text("print('hello')\n")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "Add the app\n\nIt prints a greeting.", date="2026-01-16T11:30:00+02:00")
    (repo / "app.py").write_text("print('hello, world')\n")
    (repo / "notes.txt").write_text("todo\n")
    git(repo, "add", "notes.txt")
    db = sqlite3.connect(WORK / "shop.db")
    db.executescript(
        """
        CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT, score REAL, note TEXT);
        INSERT INTO users VALUES (1, 'Ann', 'ann@example.org', 4.5, NULL);
        INSERT INTO users VALUES (2, 'Bob', 'bob@example.org', 3.0, 'it''s "fine"');
        CREATE TABLE orders (id INTEGER PRIMARY KEY, user_id INTEGER, total REAL);
        INSERT INTO orders VALUES (10, 1, 19.99);
        """
    )
    db.commit()
    db.close()
    files = WORK / "files"
    files.mkdir()
    (files / "a.txt").write_text("alpha\nbeta\n")
    (files / "sub").mkdir()


def servers() -> dict:
    repo, files = str(WORK / "repo"), str(WORK / "files")
    git_args = {"repo_path": repo}
    return {
        "git": (
            [str(DEPS / "servers/bin/mcp-server-git"), "--repository", repo],
            [
                ("git_status", git_args),
                ("git_log", git_args),
                ("git_diff_unstaged", git_args),
                ("git_diff_staged", git_args),
                ("git_diff", dict(git_args, target="HEAD~1")),
                ("git_show", dict(git_args, revision="HEAD")),
                ("git_branch", dict(git_args, branch_type="local")),
                ("git_create_branch", dict(git_args, branch_name="feature")),
                ("git_add", dict(git_args, files=["app.py"])),
                ("git_reset", git_args),
            ],
        ),
        "sqlite": (
            [str(DEPS / "sqlite/bin/mcp-server-sqlite"), "--db-path", str(WORK / "shop.db")],
            [
                ("list_tables", {}),
                ("describe_table", {"table_name": "users"}),
                ("read_query", {"query": "SELECT * FROM users ORDER BY id"}),
                ("write_query", {"query": "UPDATE users SET score = 5 WHERE id = 1"}),
                ("create_table", {"query": "CREATE TABLE tags (name TEXT)"}),
                ("append_insight", {"insight": "Ann buys most"}),
            ],
        ),
        "time": (
            [str(DEPS / "servers/bin/mcp-server-time"), "--local-timezone", "UTC"],
            [
                ("convert_time", {"source_timezone": "UTC", "time": "12:00", "target_timezone": "Europe/Paris"}),
            ],
        ),
        "filesystem": (
            [str(DEPS / "npm/node_modules/.bin/mcp-server-filesystem"), files],
            [
                ("list_directory", {"path": files}),
                ("read_text_file", {"path": files + "/a.txt"}),
                ("get_file_info", {"path": files + "/a.txt"}),
            ],
        ),
        "everything": (
            [str(DEPS / "npm/node_modules/.bin/mcp-server-everything"), "stdio"],
            [
                ("echo", {"message": "hello"}),
                ("get-sum", {"a": 2, "b": 3}),
                ("get-resource-links", {"count": 2}),
                ("get-resource-reference", {"resourceType": "Text", "resourceId": 1}),
                ("get-annotated-message", {"messageType": "success", "includeImage": False}),
            ],
        ),
        "memory": (
            [str(DEPS / "npm/node_modules/.bin/mcp-server-memory")],
            [
                ("create_entities", {"entities": [{"name": "Ann", "entityType": "person", "observations": ["likes tea"]}]}),
                ("read_graph", {}),
            ],
        ),
        "demo": (
            [os.environ.get("CODEMODE", "codemode"), "demo-server"],
            [
                ("list_projects", {}),
            ],
        ),
    }


async def record(out: Path, name: str, command: list, calls: list) -> None:
    env = dict(BARE_ENV, MEMORY_FILE_PATH=str(WORK / "memory.jsonl"))
    params = StdioServerParameters(command=command[0], args=command[1:], env=env, cwd=str(WORK))
    async with Client(params) as client:
        for tool, arguments in calls:
            result = await client.call_tool(tool, arguments)
            dumped = result.model_dump(by_alias=True, exclude_none=True, mode="json")
            record = {"server": name, "tool": tool, "arguments": arguments, "result": dumped}
            (out / f"{name}.{tool}.json").write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n")


async def main() -> None:
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    make_data()
    for name, (command, calls) in servers().items():
        await record(out, name, command, calls)


asyncio.run(main())
