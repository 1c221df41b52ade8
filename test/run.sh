#!/usr/bin/env bash
# The README's test command (npm test). Installs the Debian packages the tests use when it can (root),
# otherwise stops at once naming what to install: a missing tool is never a silent skip.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v tmux >/dev/null || need+=(tmux)
command -v journalctl >/dev/null || need+=(systemd)
[[ -x /lib/systemd/systemd-journal-remote || -x /usr/lib/systemd/systemd-journal-remote ]] || need+=(systemd-journal-remote)
command -v xz >/dev/null || need+=(xz-utils)
command -v zstd >/dev/null || need+=(zstd)
command -v tar >/dev/null || need+=(tar)
command -v gzip >/dev/null || need+=(gzip)
command -v bzip2 >/dev/null || need+=(bzip2)
command -v lz4 >/dev/null || need+=(lz4)
command -v logrotate >/dev/null || [[ -x /usr/sbin/logrotate ]] || need+=(logrotate)
if ((${#need[@]})); then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    echo "test: installing ${need[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  else
    echo "test: the tests need these Debian packages: ${need[*]}" >&2
    echo "      install them with: sudo apt-get install -y ${need[*]}" >&2
    exit 1
  fi
fi

[[ -d node_modules ]] || npm ci
npm run --silent build
# tsx runs the tests without checking their types: a test written against an old shape would
# still run, and might pass for the wrong reason.
npm run --silent typecheck
node dist/src/cli/main.js patterns lint
node dist/src/cli/main.js patterns test
shopt -s nullglob
files=(test/*.test.ts test/*.test.tsx)
# Node 20 applies --test-timeout to each test file as a whole: a file that hangs (an await that
# nothing resolves, a child that never exits) fails after 5 minutes, named, while the others go on.
exec node --import tsx --test --test-concurrency=2 --test-timeout=300000 "${files[@]}"
