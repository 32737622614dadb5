#!/usr/bin/env bash
# Started by pm2 with `--interpreter bash`: node runs as a child of this shell (no `exec`), so pm2
# tracks the shell, and the shell exits with node's exit code.
"${NODE_BIN:-node}" "$(dirname "$0")/probe.cjs"
code=$?
exit "$code"
