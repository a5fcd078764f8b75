#!/usr/bin/env bash
# The registry import beside COPY FROM of the same rows (issue 18): builds Napoléon and the
# harness in release, makes the run's base database once (the demo and the shared volume, as
# loadtests/run.sh does), generates the registry file (1,000,000 rows by default, 1 % corrupted,
# the list of corrupted rows beside it, in /var/tmp/napoleon-loadtests), imports it with
# `napoleon import registry` into a fresh copy, COPYs the same rows into another, and writes the
# report to loadtests/reports/…-import.md. Arguments go to `napoleon-loadtests import`
# (e.g. --rows 100000).
set -euo pipefail
cd "$(dirname "$0")/.."
. deploy/local/lib.sh
ensure_tools
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/napoleon-target}"
echo "==> building napoleon and the harness (release)"
cargo build --release -p napoleon -p napoleon-loadtests
exec "$CARGO_TARGET_DIR/release/napoleon-loadtests" import \
    --napoleon "$CARGO_TARGET_DIR/release/napoleon" --loadtests loadtests "$@"
