#!/usr/bin/env bash
# Builds the corpus's environment in ROOT: a git repository with a fixed
# history (repo/), a SQLite database (shop.db), a folder of files (files/), a
# memory graph (memory.jsonl), and mcp.json, the config of every server the
# tasks use. Same input, same environment: commit hashes included. Run again
# on the same ROOT, it builds the data afresh and keeps other files: learned
# result types (shapes.json) stay valid, as codemode keys them by how each
# server is run, paths included.
#
# Usage: build-env.sh ROOT CODEMODE_BINARY   (CODEMODE_TEST_DEPS must be set)
set -euo pipefail
root=$1
codemode=$2
deps=${CODEMODE_TEST_DEPS:?set CODEMODE_TEST_DEPS (scripts/test.sh installs the servers there)}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$root"
root=$(cd "$root" && pwd)
rm -rf "$root/files" "$root/repo" "$root/shop.db" "$root/memory.jsonl" "$root/mcp.json"

cp -R "$here/env/files" "$root/files"
cp "$here/env/memory.jsonl" "$root/memory.jsonl"
"$deps/sqlite/bin/python" -c 'import sqlite3, sys; sqlite3.connect(sys.argv[1]).executescript(open(sys.argv[2]).read())' \
  "$root/shop.db" "$here/env/shop.sql"

# The repository: commits with fixed authors and dates, so fixed hashes.
repo=$root/repo
mkdir -p "$repo"
git_() { git -C "$repo" -c user.name=unused -c user.email=unused@example.com -c commit.gpgsign=false "$@"; }
git_ init -q -b main
# commit "NAME <EMAIL>" DATE MESSAGE: commits everything staged, as that author.
commit() {
  local name=${1% <*} email=${1#*<}
  email=${email%>}
  GIT_AUTHOR_NAME=$name GIT_AUTHOR_EMAIL=$email GIT_COMMITTER_NAME=$name GIT_COMMITTER_EMAIL=$email \
    GIT_AUTHOR_DATE=$2 GIT_COMMITTER_DATE=$2 git_ commit -q -m "$3"
}
put() { mkdir -p "$(dirname "$repo/$1")" && printf '%s\n' "$2" > "$repo/$1" && git_ add -- "$1"; }
alice="Alice Martin <alice@example.com>"
bob="Bob Chen <bob@example.com>"
carol="Carol Diaz <carol@example.com>"
dan="Dan Okafor <dan@example.com>"

put README.md "# shop
A small web shop."
put src/cart.py "def total(items):
    return sum(i.price * i.qty for i in items)"
commit "$alice" 2026-03-02T09:15:00+01:00 "Initial commit"
put src/format.py "def format_price(value):
    return f'{value:.2f}'"
commit "$bob" 2026-03-03T14:20:00+01:00 "Add price formatting"
put src/cart.py "def total(items):
    return round(sum(i.price * i.qty for i in items), 2)"
commit "$alice" 2026-03-05T10:00:00+01:00 "Fix rounding in cart total"
put src/checkout.py "from cart import total

def checkout(cart):
    return {'total': total(cart.items)}"
commit "$carol" 2026-03-09T16:45:00-05:00 "Add checkout module"
put README.md "# shop
A small web shop.

Checkout: see src/checkout.py."
commit "$bob" 2026-03-12T11:30:00+01:00 "Document checkout in README"
put tests/test_cart.py "from cart import total

def test_empty():
    assert total([]) == 0"
commit "$dan" 2026-03-15T08:05:00+05:30 "Add tests for cart"
put src/checkout.py "from cart import total

def checkout(cart):
    if not cart.items:
        raise ValueError('empty cart')
    return {'total': total(cart.items)}"
put src/cart.py "def total(items):
    if not items:
        return 0
    return round(sum(i.price * i.qty for i in items), 2)"
commit "$carol" 2026-03-20T13:00:00-05:00 "Handle empty cart in checkout"
put VERSION "1.0.0"
commit "$alice" 2026-03-28T17:40:00+01:00 "Bump version to 1.0.0"
git_ branch release/1.0
put src/format.py "def format_price(value, currency='EUR'):
    return f'{value:.2f} {currency}'"
commit "$bob" 2026-04-02T09:00:00+02:00 "Add currency option to format_price"
git_ branch feature/discounts
put README.md "# shop
A small web shop.

Checkout: see src/checkout.py.
Prices: see src/format.py."
commit "$dan" 2026-04-06T15:10:00+05:30 "Mention price formatting in README"
put src/checkout.py "from cart import total

SHIPPING = 4.9

def checkout(cart):
    if not cart.items:
        raise ValueError('empty cart')
    return {'total': total(cart.items) + SHIPPING}"
commit "$alice" 2026-04-10T12:00:00+02:00 "Add shipping cost to checkout"
put VERSION "1.1.0"
commit "$carol" 2026-04-14T10:00:00-05:00 "Bump version to 1.1.0"

git_ checkout -q feature/discounts
put src/discounts.py "CODES = {'SPRING10': 0.10, 'WELCOME5': 0.05}"
commit "$dan" 2026-04-03T11:00:00+05:30 "Add discount codes"
put src/checkout.py "from cart import total
from discounts import CODES

def checkout(cart, code=None):
    if not cart.items:
        raise ValueError('empty cart')
    return {'total': total(cart.items) * (1 - CODES.get(code, 0))}"
commit "$dan" 2026-04-04T16:30:00+05:30 "Apply discount codes in checkout"
git_ checkout -q main

# Work in progress: a staged new file, an unstaged change, an untracked file.
put src/coupons.py "def valid(code):
    return code.isupper()"
printf '%s\n' "def format_price(value, currency='EUR'):
    return f'{value:,.2f} {currency}'" > "$repo/src/format.py"
printf '%s\n' "call the payment provider about refunds" > "$repo/notes.txt"

# Every server, each started in ROOT (so the git server's `.` is repo/).
npm=$deps/npm/node_modules/.bin
cat > "$root/mcp.json" <<EOF
{
  "mcpServers": {
    "filesystem": {"command": "$npm/mcp-server-filesystem", "args": ["$root/files"]},
    "git": {"command": "$deps/servers/bin/mcp-server-git", "args": ["--repository", "$repo"], "cwd": "$repo"},
    "sqlite": {"command": "$deps/sqlite/bin/mcp-server-sqlite", "args": ["--db-path", "$root/shop.db"]},
    "memory": {"command": "$npm/mcp-server-memory", "env": {"MEMORY_FILE_PATH": "$root/memory.jsonl"}},
    "time": {"command": "$deps/servers/bin/mcp-server-time", "args": ["--local-timezone", "UTC"]},
    "everything": {"command": "$npm/mcp-server-everything", "args": ["stdio"]},
    "tracker": {"command": "$codemode", "args": ["demo-server"]}
  }
}
EOF
