#!/usr/bin/env bash
# README command 1: install what is missing, build, and start the whole platform on the
# embedded default (a PostgreSQL cluster it manages in ./.napoleon, the demo ministries).
set -euo pipefail
cd "$(dirname "$0")/../.."
. deploy/local/lib.sh
ensure_tools
ensure_cargo_tools
echo "==> building napoleon (the first build takes several minutes)"
cargo build -p napoleon
exec cargo run -q -p napoleon -- demo "$@"
