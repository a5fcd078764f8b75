#!/usr/bin/env bash
# Architecture invariants that a command can check (ARCHITECTURE.md, "Invariants").
set -euo pipefail
cd "$(dirname "$0")/../.."
fail=0

deps() { cargo tree -q -p "$1" -e normal --prefix none 2>/dev/null | awk '{print $1}' | sort -u; }

forbid() { # crate, forbidden dependency names...
    local crate=$1; shift
    local tree; tree=$(deps "$crate")
    for dep in "$@"; do
        if grep -qx "$dep" <<<"$tree"; then
            echo "boundary violated: $crate depends on $dep" >&2
            fail=1
        fi
    done
}

# 1. The kernel (and the rules engine) stay free of IO frameworks.
forbid napoleon-kernel axum diesel diesel-async handlebars openidconnect tokio
if cargo metadata -q --no-deps --format-version 1 | grep -q '"name":"napoleon-rules"'; then
    forbid napoleon-rules axum diesel diesel-async handlebars openidconnect tokio
fi
# The rules engine takes the assessment date as input: no clock, no IO.
if grep -rn --include='*.rs' -E 'Utc::now|Local::now|SystemTime|std::fs|std::net|std::env' shared/rules/src shared/kernel/src \
    | grep -v '^shared/kernel/src/clock.rs:'; then
    echo "boundary violated: clock or IO in a pure crate (lines above)" >&2
    fail=1
fi
# 1b. One clock: the application reads « now » and « today » from `napoleon_kernel::Clock`
#     alone (shared/kernel/src/clock.rs), and SQL from `core.clock_now()`, never `now()`.
#     The development provider is a peer standing for ProConnect, with its own time.
if grep -rn --include='*.rs' -E 'Utc::now|Local::now|SystemTime::now|OffsetDateTime::now' services/*/src shared/*/src \
    | grep -v -e '^shared/kernel/src/clock.rs:' -e '^shared/devidp/' -e '^shared/testkit/'; then
    echo "boundary violated: the system time read outside the clock (lines above)" >&2
    fail=1
fi
# An adjustable clock is for tests: no process builds one.
if grep -rn --include='*.rs' -E 'Clock::adjustable|\.with_clock\(' services/*/src shared/*/src \
    | grep -v -e '^shared/kernel/src/clock.rs:' -e '^shared/db/src/pool.rs:' -e '^shared/testkit/'; then
    echo "boundary violated: an adjustable clock outside the tests (lines above)" >&2
    fail=1
fi
if grep -rn --include='*.rs' -E '"[^"]*[^_a-z.]now\(\)' services/*/src shared/*/src | grep -v '^shared/devidp/'; then
    echo "boundary violated: SQL now() instead of core.clock_now() (lines above)" >&2
    fail=1
fi
# 2. Service crates never depend on each other; only the gateway may use openidconnect.
services=(gateway intake instruction decisions promotion)
for s in "${services[@]}"; do
    others=()
    for o in "${services[@]}"; do [ "$o" = "$s" ] || others+=("napoleon-$o"); done
    forbid "napoleon-$s" "${others[@]}"
    [ "$s" = gateway ] || forbid "napoleon-$s" openidconnect
done
# 3. SQL lives in shared/db and services' store modules: no service crate depends on diesel
#    outside them (checked by source, since store modules will live inside service crates).
if grep -rln --include='*.rs' -E 'diesel::|sql_query' services/*/src | grep -v '/store' | grep -v '^services/napoleon/'; then
    echo "boundary violated: SQL outside store modules (files above)" >&2
    fail=1
fi
# 3b. One use case, one tenant transaction, opened by its domain function: no http or api
#     module opens one (`ctx.begin`, `db.tenant`, `db.platform`, `db.identity`).
if grep -rn --include='*.rs' -E '\.begin\(|db\.tenant\(|\.platform\(\)|db\.identity\(|IdentityConn::begin' \
    services/*/src/http* services/*/src/api.rs 2>/dev/null; then
    echo "boundary violated: a transaction opened in an http or api module (lines above)" >&2
    fail=1
fi
# 3c. Typed all the way: a dossier state is a `DossierState`; its stored names are written in
#     shared/rules alone (tests included: they name states through the type too).
if grep -rn --include='*.rs' -E '"(brouillon|depose|en_instruction|avis_rendu|complement_demande|transmis|retenu|ajourne|refuse|publie)"' \
    services/*/src shared/*/src | grep -v '^shared/rules/'; then
    echo "boundary violated: a dossier state as a string literal outside shared/rules (lines above)" >&2
    fail=1
fi
# 4. Test support never ships: the binary's normal dependencies exclude the testkit.
forbid napoleon napoleon-testkit

if [ "$fail" -ne 0 ]; then exit 1; fi
echo "crate boundaries: ok"
