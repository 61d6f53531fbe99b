#!/usr/bin/env bash
# Builds guest/codemode.wasm: QuickJS-ng (guest/quickjs-ng, pinned) with
# quickjs.patch and codemode.c, for wasm32-wasi as a reactor module.
# The toolchain is Debian's: clang-19 lld-19 libclang-rt-19-dev-wasm32 wasi-libc.
# The output is byte-for-byte the same for the same toolchain; the test
# suite rebuilds it and fails if the committed module differs.
#
#   bash guest/build.sh [OUT]     (default: guest/codemode.wasm)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:-$here/codemode.wasm}"
for tool in clang-19 wasm-ld-19 patch; do
    command -v "$tool" >/dev/null || {
        echo "guest/build.sh: $tool is missing; install it with: apt-get install clang-19 lld-19 libclang-rt-19-dev-wasm32 wasi-libc patch" >&2
        exit 1
    }
done

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp "$here"/quickjs-ng/*.c "$here"/quickjs-ng/*.h "$here/codemode.c" "$work/"
patch --quiet -d "$work" -p1 < "$here/quickjs.patch"

cd "$work"
flags=(
    --target=wasm32-wasi --sysroot=/usr -O2 -D_GNU_SOURCE -DCODEMODE_STACK_CHECK
    # Paths and times must not reach the module.
    -ffile-prefix-map="$work"=. -Wno-everything
)
objects=()
for source in quickjs.c libregexp.c libunicode.c dtoa.c codemode.c; do
    clang-19 "${flags[@]}" -c "$source" -o "${source%.c}.o"
    objects+=("${source%.c}.o")
done
clang-19 --target=wasm32-wasi --sysroot=/usr -fuse-ld=lld -mexec-model=reactor \
    -Wl,--stack-first -Wl,-z,stack-size=1048576 -Wl,--strip-all \
    "${objects[@]}" -o codemode.wasm
cp codemode.wasm "$out"
echo "built $out ($(stat -c %s "$out") bytes)" >&2
