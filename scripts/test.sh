#!/usr/bin/env bash
# The whole test suite, from a fresh clone: installs the test dependencies
# (pinned npm packages into target/test-deps/npm), then checks formatting and
# lints, and runs every test. CI runs exactly this (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."

export CODEMODE_TEST_DEPS="${CODEMODE_TEST_DEPS:-$PWD/target/test-deps}"
npm_packages=(
  @modelcontextprotocol/server-everything@2026.8.31
  @modelcontextprotocol/server-memory@2026.8.31
  typescript@5.9.3
)

npm_dir="$CODEMODE_TEST_DEPS/npm"
if [ "$(cat "$npm_dir/.installed" 2>/dev/null)" != "${npm_packages[*]}" ]; then
  echo "installing test dependencies into $npm_dir" >&2
  mkdir -p "$npm_dir"
  echo '{"private": true}' > "$npm_dir/package.json"
  npm install --prefix "$npm_dir" --no-audit --no-fund --loglevel=error "${npm_packages[@]}"
  echo "${npm_packages[*]}" > "$npm_dir/.installed"
fi

cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo test --workspace --locked
