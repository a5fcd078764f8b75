#!/usr/bin/env bash
# The registry's search and pages beside the same SQL through pgbench -f (issue 18): builds
# the harness in release, makes the run's base database once (the demo and the shared volume,
# as loadtests/run.sh does), starts `napoleon demo` on a fresh copy, puts the import
# benchmark's generated registry (1,000,000 rows by default, the same seed) into its
# `interieur` tenant by COPY, measures an intégratrice's registry pages (name search, birth
# date, a page after a laureate) and pgbench -f of the same statements at the same
# concurrency, and writes the report to loadtests/reports/…-search.md. Arguments go to
# `napoleon-loadtests search` (e.g. --rows 100000 --seconds 10).
set -euo pipefail
cd "$(dirname "$0")/.."
. deploy/local/lib.sh
ensure_tools
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/napoleon-target}"
echo "==> building napoleon and the harness (release)"
cargo build --release -p napoleon -p napoleon-loadtests
exec "$CARGO_TARGET_DIR/release/napoleon-loadtests" search \
    --napoleon "$CARGO_TARGET_DIR/release/napoleon" --loadtests loadtests "$@"
