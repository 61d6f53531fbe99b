#!/usr/bin/env bash
# The whole test suite, from a fresh clone: installs the test dependencies
# (pinned npm packages into target/test-deps/npm, the Python MCP SDK into
# target/test-deps/venv), then checks formatting and lints, and runs every
# test. CI runs exactly this (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."

export CODEMODE_TEST_DEPS="${CODEMODE_TEST_DEPS:-$PWD/target/test-deps}"
npm_packages=(
  @modelcontextprotocol/server-everything@2026.8.31
  @modelcontextprotocol/server-memory@2026.8.31
  @modelcontextprotocol/inspector@0.15.0
  typescript@5.9.3
)
python_packages=(mcp==2.3.0)

npm_dir="$CODEMODE_TEST_DEPS/npm"
if [ "$(cat "$npm_dir/.installed" 2>/dev/null)" != "${npm_packages[*]}" ]; then
  echo "installing test dependencies into $npm_dir" >&2
  mkdir -p "$npm_dir"
  echo '{"private": true}' > "$npm_dir/package.json"
  npm install --prefix "$npm_dir" --no-audit --no-fund --loglevel=error "${npm_packages[@]}"
  echo "${npm_packages[*]}" > "$npm_dir/.installed"
fi

venv="$CODEMODE_TEST_DEPS/venv"
if [ "$(cat "$venv/.installed" 2>/dev/null)" != "${python_packages[*]}" ]; then
  echo "installing the Python MCP SDK into $venv" >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "${python_packages[@]}"
  echo "${python_packages[*]}" > "$venv/.installed"
fi

cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo test --workspace --locked
