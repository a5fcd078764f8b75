#!/usr/bin/env bash
# The soak, one command: builds Napoléon and the harness in release, starts `napoleon demo` on
# the load tests' durable PostgreSQL cluster (in /var/tmp/napoleon-loadtests, the same
# database as `run.sh`, the volume loaded once), runs the latency mix of every role for ten
# minutes and samples the server's memory every 10 s; the report goes to
# loadtests/reports/soak-<date>-<commit>.md (and .json). Arguments go to
# `napoleon-loadtests soak` (e.g. --minutes 30). Not run in CI.
set -euo pipefail
cd "$(dirname "$0")/.."
. deploy/local/lib.sh
ensure_tools
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/napoleon-target}"
echo "==> building napoleon and the harness (release)"
cargo build --release -p napoleon -p napoleon-loadtests
exec "$CARGO_TARGET_DIR/release/napoleon-loadtests" soak \
    --napoleon "$CARGO_TARGET_DIR/release/napoleon" --loadtests loadtests "$@"
