# Shared by demo.sh and test.sh: install what is missing on a Debian/Ubuntu machine.
# Sourced, not executed.

# Runs a command as root (directly when we are root, else through sudo).
as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

APT_UPDATED=0
apt_install() {
    local missing=()
    for pkg in "$@"; do
        dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    echo "==> installing system packages: ${missing[*]}"
    if [ "$APT_UPDATED" -eq 0 ]; then
        as_root apt-get update -q
        APT_UPDATED=1
    fi
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
}

have_postgres() {
    command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1 && return 0
    ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1
}

# Finds pg_ctl the way the binary does (PATH, then the newest /usr/lib/postgresql/*/bin).
pg_ctl_path() {
    if command -v pg_ctl >/dev/null 2>&1; then command -v pg_ctl; return; fi
    ls -d /usr/lib/postgresql/*/bin/pg_ctl 2>/dev/null | sort -V | tail -n 1
}

ensure_tools() {
    if ! command -v cargo >/dev/null 2>&1; then
        echo "Rust is missing. Install it with rustup (https://rustup.rs), then re-run this command." >&2
        exit 1
    fi
    have_postgres || apt_install postgresql
    # The demo and the tests run PostgreSQL as `postgres` when started as root.
    if [ "$(id -u)" -eq 0 ] && ! id -u postgres >/dev/null 2>&1; then apt_install postgresql; fi
    command -v npm >/dev/null 2>&1 || apt_install nodejs npm
    # The browser walk (services/napoleon/tests/browser) drives Debian's Chromium, never a
    # browser build downloaded by Playwright.
    [ -x /usr/bin/chromium ] || apt_install chromium
    # The antivirus: the tests start clamd themselves, with a signature database built
    # offline by sigtool (shared/testkit/src/clamd.rs); freshclam is never run here.
    { [ -x /usr/sbin/clamd ] && command -v sigtool >/dev/null 2>&1; } || apt_install clamav-daemon clamav
    # The generated documents' tests read the PDFs with poppler's tools (pdftotext, pdffonts,
    # pdfinfo) and render page 1 with pdftoppm.
    command -v pdftotext >/dev/null 2>&1 || apt_install poppler-utils
    # The tests make a throwaway CA and certificate for TLS between processes.
    command -v openssl >/dev/null 2>&1 || apt_install openssl
    # The chart checks run in a Python virtualenv (deploy/k8s/check-chart.sh).
    python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || apt_install python3-venv
    # The DSFR is installed by npm, never copied into the repository.
    if [ ! -f node_modules/@gouvfr/dsfr/dist/dsfr.min.css ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
        echo "==> installing front-end packages (npm ci)"
        npm ci --no-audit --no-fund
    fi
}

# The cargo tools the test command's gates run, pinned, installed once into ~/.cargo/bin
# (outside the clone, so a fresh clone or CI run reuses them). Building cargo-deny takes about
# ten minutes on two cores: README command 1 and .ci/run do it before the timed test command.
CARGO_NEXTEST_VERSION=0.9.143
CARGO_DENY_VERSION=0.20.2
CARGO_MACHETE_VERSION=0.9.2
# The S3-protocol server the storage test starts (a real server process over a directory).
S3S_FS_VERSION=0.14.1
ensure_cargo_tools() {
    cargo nextest --version >/dev/null 2>&1 || cargo install --locked "cargo-nextest@$CARGO_NEXTEST_VERSION"
    cargo deny --version >/dev/null 2>&1 || cargo install --locked "cargo-deny@$CARGO_DENY_VERSION"
    cargo machete --version >/dev/null 2>&1 || cargo install --locked "cargo-machete@$CARGO_MACHETE_VERSION"
    [ -x "${CARGO_HOME:-$HOME/.cargo}/bin/s3s-fs" ] || cargo install --locked --features binary "s3s-fs@$S3S_FS_VERSION"
}
