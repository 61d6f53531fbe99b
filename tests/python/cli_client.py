"""The MCP conformance suite's client, played by the codemode CLI as a user
runs it: a config file with the server (and its OAuth client, as the
scenario gives it), `codemode run` with a program that makes the calls the
scenario expects, and, when a run says a login would help, the very command
it says to run, then the run again. Standard library only.

`conformance client --command 'python3 cli_client.py'` runs it with the mock
server's URL appended, the scenario in MCP_CONFORMANCE_SCENARIO and its data
in MCP_CONFORMANCE_CONTEXT. CODEMODE is the codemode binary; BROWSER (for
`codemode login`) is tests/python/browser.py, which follows the
authorization server's redirect as a person approving would.
"""

import json
import os
import re
import shlex
import subprocess
import sys
import tempfile

CODEMODE = os.environ["CODEMODE"]
URL = sys.argv[-1]
SCENARIO = os.environ.get("MCP_CONFORMANCE_SCENARIO", "")
CONTEXT = json.loads(os.environ.get("MCP_CONFORMANCE_CONTEXT") or "{}")
HOME = tempfile.mkdtemp(prefix="codemode-conformance-")
CONFIG = os.path.join(HOME, "mcp.json")
ENV = dict(
    os.environ,
    XDG_CONFIG_HOME=os.path.join(HOME, "config"),
    XDG_CACHE_HOME=os.path.join(HOME, "cache"),
)


def write_config():
    server = {"url": URL}
    oauth = {}
    if CONTEXT.get("client_id"):
        oauth["clientId"] = CONTEXT["client_id"]
    if CONTEXT.get("client_secret"):
        oauth["clientSecret"] = CONTEXT["client_secret"]
    if SCENARIO == "auth/basic-cimd":
        # The client's metadata document, as the suite's mock server knows it.
        oauth["clientMetadataUrl"] = "https://conformance-test.local/client-metadata.json"
    if oauth:
        server["oauth"] = oauth
    with open(CONFIG, "w") as f:
        json.dump({"mcpServers": {"conformance": server}}, f)


def ts_name(tool):
    """A tool's function name in the API (what `codemode types` shows)."""
    return re.sub(r"[^A-Za-z0-9_$]", "_", tool)


def raw_tools():
    """The server's tools/list result, as `codemode tools --raw` prints it."""
    listed = codemode("tools", "--config", CONFIG, "--raw")
    if listed.returncode != 0:
        sys.exit(f"codemode tools --raw failed:\n{listed.stderr}")
    return json.loads(listed.stdout)["tools"]


def call(tool, arguments):
    # A program leaves out what it has no value for: codemode checks
    # arguments against the tool's schema, where null is not a boolean.
    given = {k: v for k, v in arguments.items() if v is not None}
    return f"await conformance[{json.dumps(ts_name(tool))}]({json.dumps(given)});"


def program():
    calls = CONTEXT.get("tool_calls") or CONTEXT.get("toolCalls")
    if calls:
        return "\n".join(call(c["name"], c.get("arguments", {})) for c in calls) + "\nreturn 'done';"
    if SCENARIO.startswith("auth/"):
        return "return await conformance.test_tool({});"
    if SCENARIO == "elicitation-sep1034-client-defaults":
        return "return await conformance.test_client_elicitation_defaults({});"
    if SCENARIO == "sep-2322-client-request-state":
        tools = ["test_mrtr_echo_state", "test_mrtr_unrelated", "test_mrtr_no_state", "test_mrtr_no_result_type"]
        return "\n".join(call(t, {}) for t in tools) + "\nreturn 'done';"
    if SCENARIO == "json-schema-ref-no-deref":
        return "return Object.keys(conformance).length;"
    if SCENARIO == "json-schema-2020-12-preservation":
        tool = next(t for t in raw_tools() if t["name"] == "json_schema_2020_12_tool")
        return "return " + call("json_schema_echo", {"schema": tool["inputSchema"]})
    if SCENARIO == "http-invalid-tool-headers":
        return "return " + call("valid_tool", {"region": "us-west1"})
    # Any other: the first tool, with the arguments the suite's tools take.
    return "const [first] = Object.keys(conformance); return first ? await conformance[first]({ a: 2, b: 3 }) : null;"


def codemode(*args):
    return subprocess.run(
        [CODEMODE, *args], capture_output=True, text=True, env=ENV, timeout=120
    )


def on_a_terminal(*args):
    """codemode on a terminal (util-linux `script`) where a person presses
    Enter at every question: yes, and each field's default."""
    line = shlex.join([CODEMODE, *args])
    return subprocess.run(
        ["script", "-qec", line, "/dev/null"],
        input="\n" * 40, capture_output=True, text=True, env=ENV, timeout=120,
    )


def login_said(output):
    """The `codemode login ...` command a failed run says to run, if any."""
    found = re.search(r"`(codemode login [^`]+)`", output)
    return shlex.split(found.group(1)) if found else None


def main():
    write_config()
    code = os.path.join(HOME, "program.ts")
    with open(code, "w") as f:
        f.write(program())
    run = on_a_terminal if SCENARIO.startswith("elicitation-") else codemode
    logins = 0
    while True:
        ran = run("run", "--config", CONFIG, code)
        if ran.returncode == 0:
            return
        said = login_said(ran.stdout + ran.stderr)
        if not said:
            sys.exit(f"codemode run failed:\n{ran.stdout}\n{ran.stderr}")
        if logins == 3:
            sys.exit(f"still refused after {logins} logins")
        logins += 1
        logged = codemode(*said[1:])
        if logged.returncode != 0:
            sys.exit(f"{' '.join(said)} failed:\n{logged.stdout}\n{logged.stderr}")


main()
