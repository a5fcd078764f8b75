#!/usr/bin/env bash
# README command 2 (and CI): install what is missing, then formatting, lints, crate-boundary
# invariants and the whole test suite on real PostgreSQL (a throwaway cluster the tests start).
set -euo pipefail
cd "$(dirname "$0")/../.."
. deploy/local/lib.sh
ensure_tools
ensure_cargo_tools

export NAPOLEON_TEST_PG_DIR="${NAPOLEON_TEST_PG_DIR:-${TMPDIR:-/tmp}/napoleon-test-pg-$(id -u)}"
stop_test_cluster() {
    local pgdata="$NAPOLEON_TEST_PG_DIR/pgdata" pg_ctl
    [ -f "$pgdata/postmaster.pid" ] || return 0
    pg_ctl=$(pg_ctl_path)
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$pg_ctl" -D "$pgdata" -m immediate -w stop >/dev/null 2>&1 || true
    else
        "$pg_ctl" -D "$pgdata" -m immediate -w stop >/dev/null 2>&1 || true
    fi
}
# A fresh cluster per run: no database left over from an earlier run.
stop_test_cluster
rm -rf "$NAPOLEON_TEST_PG_DIR" "$NAPOLEON_TEST_PG_DIR.lock"
trap stop_test_cluster EXIT

echo "==> cargo fmt --check"
cargo fmt --all --check
echo "==> cargo clippy"
cargo clippy --workspace --all-targets -- -D warnings
echo "==> crate boundaries"
deploy/local/check-boundaries.sh
echo "==> ARCHITECTURE.md cites only what exists"
deploy/local/check-architecture.py
echo "==> dependencies: licences, bans and sources (offline; advisories need the network)"
# cargo-deny reads the metadata of every platform's dependencies (goose's pull in macOS and
# Windows crates a Linux build never downloads): fetch them all from the lockfile first.
cargo fetch --locked --quiet
cargo deny --offline --log-level error check licenses bans sources
echo "==> dependencies: none unused (cargo machete)"
cargo machete
echo "==> API documentation builds without a warning"
RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --workspace --quiet
echo "==> Helm chart (rendered, linted and validated offline)"
deploy/k8s/check-chart.sh
echo "==> doc tests (among them, the compile-fail proofs that acts need an authorization)"
cargo test --doc --workspace --quiet
echo "==> tests"
# Snapshots (insta): never written by the suite, compared whole (metadata included), and every
# stored snapshot must be asserted by some test (an orphan is a page or document that no
# longer exists, or a renamed test).
export INSTA_UPDATE=no INSTA_FORCE_PASS=0 INSTA_REQUIRE_FULL_MATCH=1
INSTA_SNAPSHOT_REFERENCES_FILE="$(mktemp)"
export INSTA_SNAPSHOT_REFERENCES_FILE
cargo nextest run --workspace --no-fail-fast "$@"
if [ "$#" -eq 0 ]; then
    echo "==> every stored snapshot is asserted by a test"
    orphans=$(git ls-files --cached --others --exclude-standard -- '*.snap' | while read -r snap; do
        grep -qxF "$(pwd -P)/$snap" "$INSTA_SNAPSHOT_REFERENCES_FILE" || echo "$snap"
    done)
    if [ -n "$orphans" ]; then
        echo "snapshots no test asserts (delete them or restore their test):" >&2
        echo "$orphans" >&2
        exit 1
    fi
fi
rm -f "$INSTA_SNAPSHOT_REFERENCES_FILE"
