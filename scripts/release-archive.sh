#!/usr/bin/env bash
# scripts/release-archive.sh TARGET [OUT] [BINARY]
#
# Builds codemode for TARGET with Cargo.lock's versions and packs it as the
# release workflow (.github/workflows/release.yml) publishes it and
# `cargo binstall codemode` fetches it: OUT/codemode-VERSION-TARGET.tar.gz,
# holding the binary and the README at its root, and
# its SHA-256 beside it. Given a BINARY, packs that one instead of building
# (the tests' dry run). On a tag, the tag must be vVERSION.
set -euo pipefail
target="$1"
out="${2:-dist}"
binary="${3:-}"
cd "$(dirname "$0")/.."

version=$(python3 -c 'import tomllib; print(tomllib.load(open("Cargo.toml", "rb"))["package"]["version"])')
if [ "${GITHUB_REF_TYPE:-}" = tag ] && [ "${GITHUB_REF_NAME:-}" != "v$version" ]; then
  echo "the tag ${GITHUB_REF_NAME} is not v$version, the version in Cargo.toml; tag v$version, or change the version first" >&2
  exit 1
fi

if [ -z "$binary" ]; then
  cargo build --release --locked --target "$target" --bin codemode
  binary="target/$target/release/codemode"
  case "$target" in *windows*) binary="$binary.exe" ;; esac
fi

name="codemode-$version-$target"
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
program=$(basename "$binary")
cp "$binary" "$stage/$program"
cp README.md "$stage/"
mkdir -p "$out"
tar -czf "$out/$name.tar.gz" -C "$stage" "$program" README.md
(cd "$out" && { sha256sum "$name.tar.gz" 2>/dev/null || shasum -a 256 "$name.tar.gz"; } > "$name.tar.gz.sha256")
echo "$out/$name.tar.gz"
