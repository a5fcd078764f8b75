#!/usr/bin/env bash
# The registry's export beside COPY TO of the same rows (issue 18): builds the harness in
# release, makes the run's base database once (the demo and the shared volume, as
# loadtests/run.sh does), puts the import benchmark's generated registry (1,000,000 rows by
# default, the same seed) into a fresh copy by COPY, runs the `promotion.export` job as CSV,
# XLSX and ODS in the harness's process with its memory sampled, and writes the report to
# loadtests/reports/…-export.md. Arguments go to `napoleon-loadtests export` (e.g. --rows 100000).
set -euo pipefail
cd "$(dirname "$0")/.."
. deploy/local/lib.sh
ensure_tools
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/napoleon-target}"
echo "==> building napoleon and the harness (release)"
cargo build --release -p napoleon -p napoleon-loadtests
exec "$CARGO_TARGET_DIR/release/napoleon-loadtests" export \
    --napoleon "$CARGO_TARGET_DIR/release/napoleon" --loadtests loadtests "$@"
