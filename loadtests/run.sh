#!/usr/bin/env bash
# One command: builds Napoléon and the harness in release, starts `napoleon demo` on its own
# durable PostgreSQL cluster (in /var/tmp/napoleon-loadtests, kept between runs), loads the
# shared volume once, measures PostgreSQL's own figures and Napoléon's in the same run, and
# writes the report to loadtests/reports/ (Markdown and JSON). Arguments go to
# `napoleon-loadtests run` (e.g. --seconds 30, --dossiers 1000000).
set -euo pipefail
cd "$(dirname "$0")/.."
. deploy/local/lib.sh
ensure_tools
command -v wrk >/dev/null || apt_install wrk
command -v pgbench >/dev/null || apt_install postgresql-contrib
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/napoleon-target}"
echo "==> building napoleon and the harness (release)"
cargo build --release -p napoleon -p napoleon-loadtests
exec "$CARGO_TARGET_DIR/release/napoleon-loadtests" run \
    --napoleon "$CARGO_TARGET_DIR/release/napoleon" --loadtests loadtests "$@"
