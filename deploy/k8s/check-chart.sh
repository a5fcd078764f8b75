#!/usr/bin/env bash
# Lints, renders and validates the Helm chart offline (see check_chart.py).
# The tools live in a virtualenv outside the repository, reused between runs, and are
# (re)installed only when requirements.txt changed since the last install.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="${NAPOLEON_TOOLS_VENV:-/var/tmp/napoleon-tools-venv}"
requirements="$here/requirements.txt"
stamp="$venv/.napoleon-requirements.sha256"

if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
want="$(sha256sum "$requirements" | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements"
    echo "$want" > "$stamp"
fi
exec "$venv/bin/python" "$here/check_chart.py" "$@"
