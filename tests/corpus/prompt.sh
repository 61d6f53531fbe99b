#!/usr/bin/env bash
# Prints what a model sees before it writes a corpus program: the description
# of `execute`, as `codemode serve` lists it over the corpus's servers after
# the warm-up (tests/corpus/warmup.ts calls each tool once, so codemode has
# learned the result types it would have learned in daily use; the model has
# seen no result). With task ids, the text of each task follows.
#
# Usage: tests/corpus/prompt.sh [TASK_ID...]
# Needs the test dependencies (scripts/test.sh; CODEMODE_TEST_DEPS) and a
# built codemode (CODEMODE, default target/debug/codemode).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
export CODEMODE_TEST_DEPS=${CODEMODE_TEST_DEPS:-$repo/target/test-deps}
codemode=${CODEMODE:-$repo/target/debug/codemode}
[ -x "$codemode" ] || { echo "$codemode is missing: run cargo build, or set CODEMODE" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# codemode keeps what it learns of upstreams in its cache folder: keep it here.
export XDG_CACHE_HOME=$work/cache

# The warm-up writes, so the environment is built again after it, in the same
# place: the types learned stay those of the same servers.
"$here/build-env.sh" "$work/env" "$codemode"
"$codemode" learn "$here/warmup.ts" --config "$work/env/mcp.json" --shapes "$work/shapes.json" >/dev/null 2>&1
"$here/build-env.sh" "$work/env" "$codemode"
echo '{"calls": []}' |
  "$CODEMODE_TEST_DEPS/venv/bin/python" "$repo/tests/python/mcp_client.py" stdio \
    "$codemode" serve --config "$work/env/mcp.json" --shapes "$work/shapes.json" 2>/dev/null |
  "$CODEMODE_TEST_DEPS/venv/bin/python" -c '
import json, sys
tools = json.load(sys.stdin)["tools"]
print(next(t for t in tools if t["name"] == "execute")["description"])'
for id in "$@"; do
  "$CODEMODE_TEST_DEPS/venv/bin/python" - "$here/tasks.json" "$id" <<'EOF'
import json, sys
tasks = {t["id"]: t["task"] for t in json.load(open(sys.argv[1]))}
if sys.argv[2] not in tasks:
    sys.exit(f"no task {sys.argv[2]!r}; the tasks are: {', '.join(tasks)}")
print(f"\nTask {sys.argv[2]}: {tasks[sys.argv[2]]}")
EOF
done
